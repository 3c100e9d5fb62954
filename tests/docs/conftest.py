"""The docs test shares one demo worker; the per-test Redis flush spares it (as in steering)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.worker_processes import empty_redis_but_workers


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Overrides the root fixture: keeps the module's worker reachable."""
    empty_redis_but_workers()
    yield
