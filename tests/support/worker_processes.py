"""Worker processes for tests: `manage.py run_worker` against the test database and Redis."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

from neuronpedia_site.services import pid_alive

ROOT = Path(__file__).resolve().parents[2]  # the repository
# Workers run in sessions of their own, so that a test can kill a whole group; a run that is
# itself killed cannot stop them, and they would stay registered and serving into the next run.
# Each spawned group is written down here with the pytest process that owns it; the next run
# stops the groups whose owner is gone (`stop_leftover_workers`).
SPAWNED_DIR = ROOT / "var" / "test-workers"

DEMO_PACK = ROOT / "demo_pack" / "demo-lm"
# `run_worker` arguments of a worker serving the bundled demo model and its SAEs on the CPU,
# consuming only its inference queue.
DEMO_WORKER_ARGS = (
    "--model", "demo-lm", "--model-dir", str(DEMO_PACK / "model"),
    "--sae-dir", str(DEMO_PACK / "saes"), "--device", "cpu", "--no-default-queue",
)  # fmt: skip


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


def worker_database_url() -> str:
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


def child_process_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process (a worker, `manage.py ...`) that must use the test
    database and the test Redis database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL", "") or _base_redis_url(),
        "PYTHONUNBUFFERED": "1",
        **(extra or {}),
    }


class WorkerProcess:
    def __init__(self, proc: subprocess.Popen, hostname: str, log: Path) -> None:
        self.proc = proc
        self.hostname = hostname
        self.log = log
        SPAWNED_DIR.mkdir(parents=True, exist_ok=True)
        self.record = SPAWNED_DIR / str(proc.pid)
        self.record.write_text(f"{hostname} {os.getpid()}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no chance to ack or requeue anything."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.record.unlink(missing_ok=True)

    def wait_idle(self, timeout: float = 60) -> None:
        """Return once the worker runs no task and has none waiting, its queues' too.

        A test's last request can leave work behind (generating an explanation queues the
        embedding job): a worker still running it when the test's database is flushed holds
        row locks the TRUNCATE then deadlocks with."""
        from neuronpedia_site.celery import app
        from neuronpedia_site.redis_connection import connection as redis_connection

        deadline = time.monotonic() + timeout
        inspect = app.control.inspect(destination=[self.hostname], timeout=1.0, limit=1)
        while self.proc.poll() is None and time.monotonic() < deadline:
            queues = (inspect.active_queues() or {}).get(self.hostname, [])
            waiting = sum(redis_connection().llen(q["name"]) for q in queues)
            busy = [
                task
                for answer in (inspect.active(), inspect.reserved())
                for task in (answer or {}).get(self.hostname, [])
            ]
            if not waiting and not busy:
                return
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.record.unlink(missing_ok=True)


def stop_leftover_workers() -> list[str]:
    """SIGKILL the worker groups of earlier runs that ended without stopping them, and take
    them out of the registry; return their hostnames. Groups of a run still going are left."""
    from bus import registry

    stopped = []
    for record in SPAWNED_DIR.glob("*") if SPAWNED_DIR.exists() else []:
        hostname, owner = record.read_text().split()
        if pid_alive(int(owner)):
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(record.name), signal.SIGKILL)
        registry.withdraw(hostname)
        record.unlink(missing_ok=True)
        stopped.append(hostname)
    return stopped


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
    child_env = child_process_env(env)
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


def _base_redis_url() -> str:
    # tests.settings adds ?db=15 / /15; the worker's settings do the same from the base URL.
    url = settings.REDIS_URL
    return url.split("?")[0] if url.startswith("unix://") else url.rsplit("/", 1)[0]
