"""Tasks only the tests send; workers started by the tests import this module
(tests.settings.CELERY_IMPORTS), production workers never do."""

from __future__ import annotations

import time

from celery import shared_task

from bus.connections import redis_client

SLEEP_THEN_RECORD = "tests.support.tasks.sleep_then_record"


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
