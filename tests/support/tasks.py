"""Tasks only the tests send; workers started by the tests import this module
(tests.settings.CELERY_IMPORTS), production workers never do."""

from __future__ import annotations

import time
from typing import Any

from celery import Task, shared_task

from bus import frames
from bus.claims import WAITED_FOR_TASK_OPTIONS
from bus.connections import redis_client

SLEEP_THEN_RECORD = "tests.support.tasks.sleep_then_record"
SLOW_FIRST_RUN = "tests.support.tasks.slow_first_run"
SLOW_FIRST_STREAM = "tests.support.tasks.slow_first_stream"
BACKEND_PID = "tests.support.tasks.backend_pid"


@shared_task(acks_late=True)
def sleep_then_record(key: str, seconds: float) -> int:
    """For redelivery tests: counts attempts in Redis, then sleeps, then records completion.

    Tests SIGKILL a worker mid-task and check that the task runs again elsewhere.
    """
    conn = redis_client()
    attempt = int(conn.incr(f"{key}:attempts"))
    time.sleep(seconds)
    conn.set(f"{key}:done", attempt)
    return attempt


def _run(task: Task, key: str) -> int:
    """Appends the worker's hostname to the Redis list `<key>:runs`; returns the run's number."""
    return int(redis_client().rpush(f"{key}:runs", str(task.request.hostname)))


@shared_task(bind=True, **WAITED_FOR_TASK_OPTIONS)
def slow_first_run(self: Task, key: str, seconds: float) -> str:
    """For failover tests, as an inference task: the first run sleeps `seconds` (a worker to
    kill mid-request), later runs answer at once; returns the worker's hostname."""
    if _run(self, key) == 1:
        time.sleep(seconds)
    return str(self.request.hostname)


@shared_task(bind=True, **WAITED_FOR_TASK_OPTIONS)
def slow_first_stream(self: Task, key: str, seconds: float, channel: str) -> dict[str, Any]:
    """`slow_first_run` as a streamed steering task: one frame, the pause, then `done`, each
    `{hostname, run}`."""
    run = _run(self, key)
    answer = {"hostname": str(self.request.hostname), "run": run}
    frames.publish(channel, frames.FRAME, answer)
    if run == 1:
        time.sleep(seconds)
    frames.finish(channel, answer)
    return answer


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def backend_pid() -> int:
    """The PostgreSQL server process of the worker's database connection (opened if needed)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])
