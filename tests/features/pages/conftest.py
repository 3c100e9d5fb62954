from __future__ import annotations

import pytest

from tests.support.accounts import Account
from tests.support.seed import Site, seed_site


@pytest.fixture
def site(alice: Account) -> Site:
    return seed_site(alice.user)
