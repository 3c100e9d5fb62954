"""Shared fixtures: users with API keys, API clients, and real Celery worker processes.

Workers run as separate processes (`manage.py run_worker`) on the real Redis broker and the
test database, so tests that use them must commit their data (`transaction=True`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.support.accounts import Account, make_account
from tests.support.worker_processes import (
    WorkerProcess,
    spawn_worker,
    stop_leftover_workers,
)

# Fixtures shared across test folders.
pytest_plugins = ["tests.support.demo_exports"]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Workers an aborted run left behind would answer this run's tasks: stop them first."""
    for hostname in stop_leftover_workers():
        print(f"stopped worker {hostname}, left by an earlier run")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip `@pytest.mark.gpu` tests on machines without CUDA."""
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items:
        return
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in gpu_items:
        item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Before a test's database is flushed or rolled back, let the workers it used finish what
    the test left them (see `WorkerProcess.wait_idle`)."""
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, WorkerProcess):
            value.wait_idle()


@pytest.fixture
def alice(db: None) -> Account:
    """An owner with an API key."""
    return make_account("alice")


@pytest.fixture
def bob(db: None) -> Account:
    return make_account("bob")


@pytest.fixture
def charlie(db: None) -> Account:
    """An outsider."""
    return make_account("charlie")


@pytest.fixture
def admin_account(db: None) -> Account:
    return make_account("root-admin", admin=True)


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _seeded_users(request: pytest.FixtureRequest) -> None:
    """A transactional test (live server, worker processes) ends by flushing every table, the
    seeded bot users and config rows too; put them back for any test that uses the database,
    since imported data, uploads and saved searches are owned by them."""
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not names & {"db", "transactional_db", "live_server"}:
        return
    transactional = (marker is not None and marker.kwargs.get("transaction", False)) or bool(
        names & {"transactional_db", "live_server"}
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from features.autointerp import seed_config_rows
    from features.models import ExplanationScoreModel, ExplanationScoreType, ExplanationType
    from neuronpedia_site.accounts import seed_users

    seed_users()
    # The autointerp types a migration seeds, which a flush removes too: every test sees them.
    seed_config_rows(ExplanationType, ExplanationScoreType, ExplanationScoreModel)


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Each test starts with an empty test Redis database (broker, registry, rate limits)."""
    from neuronpedia_site.redis_connection import connection

    connection().flushdb()
    yield


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start `manage.py run_worker` processes; they are stopped at the end of the test."""
    started: list[WorkerProcess] = []

    def start(*args: str, env: dict[str, str] | None = None, wait: float = 60) -> WorkerProcess:
        worker = spawn_worker(tmp_path, *args, env=env, wait=wait)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
