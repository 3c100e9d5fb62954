"""Shared fixtures: users with API keys, API clients, and real Celery worker processes.

Workers run as separate processes (`manage.py run_worker`) on the real Redis broker and the
test database, so tests that use them must commit their data (`transaction=True`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

# Fixtures shared across test folders.
pytest_plugins = ["tests.support.demo_exports"]

ROOT = Path(__file__).resolve().parent.parent


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


class Account:
    def __init__(self, user: Any, key: str) -> None:
        self.user = user
        self.key = key

    def client(self) -> APIClient:
        api = APIClient()
        api.credentials(HTTP_X_API_KEY=self.key)
        return api


def _make_account(name: str, admin: bool = False) -> Account:
    from neuronpedia_site.accounts import create_user

    user, key = create_user(name, password="password-123", admin=admin)
    return Account(user, key)


@pytest.fixture
def alice(db: None) -> Account:
    """An owner with an API key."""
    return _make_account("alice")


@pytest.fixture
def bob(db: None) -> Account:
    return _make_account("bob")


@pytest.fixture
def charlie(db: None) -> Account:
    """An outsider."""
    return _make_account("charlie")


@pytest.fixture
def admin_account(db: None) -> Account:
    return _make_account("root-admin", admin=True)


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _seeded_users(request: pytest.FixtureRequest) -> None:
    """A transactional test (live server, worker processes) ends by flushing every table, the
    seeded bot users too; put them back for any test that uses the database, since imported
    data, uploads and saved searches are owned by them."""
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not names & {"db", "transactional_db", "live_server"}:
        return
    transactional = (marker is not None and marker.kwargs.get("transaction", False)) or bool(
        names & {"transactional_db", "live_server"}
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from neuronpedia_site.accounts import seed_users

    seed_users()


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Each test starts with an empty test Redis database (broker, registry, rate limits)."""
    from neuronpedia_site.redis_connection import connection

    connection().flushdb()
    yield


def empty_redis_but_workers() -> None:
    """Empty the test Redis database but for what a package's long-lived worker needs to stay
    reachable: its registry entry and index, and the broker's queue bindings."""
    from bus.registry import INDEX_KEY, KEY_PREFIX
    from neuronpedia_site.redis_connection import connection

    conn = connection()
    keep = (KEY_PREFIX.encode(), INDEX_KEY.encode(), b"_kombu.binding.")
    stale = [key for key in conn.scan_iter(count=1000) if not key.startswith(keep)]
    if stale:
        conn.delete(*stale)


def test_database_url() -> str:
    """The URL of the database pytest-django created, for worker subprocesses."""
    db = connection.settings_dict
    # The embedded server's socket directory comes as `?host=` and lands in OPTIONS.
    host = db.get("HOST") or db.get("OPTIONS", {}).get("host") or ""
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    if host.startswith("/"):
        return f"postgresql://{user}{password}@/{db['NAME']}?host={host}"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{user}{password}@{host}{port}/{db['NAME']}"


class WorkerProcess:
    def __init__(self, proc: subprocess.Popen, hostname: str, log: Path) -> None:
        self.proc = proc
        self.hostname = hostname
        self.log = log

    def kill(self) -> None:
        """SIGKILL the whole process group: no chance to ack or requeue anything."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def spawn_worker(
    log_dir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    prefix: str = "test",
    wait: float = 120,
) -> WorkerProcess:
    """`manage.py run_worker ...` against the test database and Redis, returned once it has
    announced itself in the worker registry."""
    from bus import registry

    hostname = f"{prefix}-{uuid.uuid4().hex[:8]}@localhost"
    log = log_dir / f"{hostname}.log"
    child_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL", "") or _base_redis_url(),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_worker", "--hostname", hostname, *args],
        cwd=ROOT,
        env=child_env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = WorkerProcess(proc, hostname, log)
    deadline = time.monotonic() + wait
    while not any(w["hostname"] == hostname for w in registry.live_workers()):
        if proc.poll() is not None or time.monotonic() > deadline:
            worker.stop()
            raise RuntimeError(f"worker did not start:\n{log.read_text()[-4000:]}")
        time.sleep(0.1)
    return worker


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


def _base_redis_url() -> str:
    # tests.settings adds ?db=15 / /15; the worker's settings do the same from the base URL.
    url = settings.REDIS_URL
    return url.split("?")[0] if url.startswith("unix://") else url.rsplit("/", 1)[0]
