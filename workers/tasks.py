"""Celery tasks. Each is a thin wrapper around a plain function in a noun module."""

from __future__ import annotations

import time

from celery import shared_task


@shared_task(name="workers.tasks.ping")
def ping(payload: str = "pong") -> str:
    """Round-trip check used by the health command and tests."""
    return payload


@shared_task(name="workers.tasks.sleep_then_record", acks_late=True)
def sleep_then_record(key: str, seconds: float) -> int:
    """Test helper for redelivery: counts attempts in Redis, then sleeps, then records completion.

    Used by tests that SIGKILL a worker mid-task and check the task runs again elsewhere.
    """
    from workers.registry import connection

    conn = connection()
    attempt = int(conn.incr(f"{key}:attempts"))
    time.sleep(seconds)
    conn.set(f"{key}:done", attempt)
    return attempt
