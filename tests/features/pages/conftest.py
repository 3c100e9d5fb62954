from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import Account
from tests.features.pages.seed import Site, seed_site


@pytest.fixture
def site(alice: Account) -> Site:
    return seed_site(alice.user)


def logged_in(account: Account) -> Client:
    client = Client()
    assert client.login(username=account.user.username, password="password-123")
    return client
