"""Which worker took a task that a caller is waiting for, so the caller can tell when it died.

A caller that waits (`bus.client.call`, `bus.client.stream`) names a claim key in the task's
headers (`np_claim`). The worker that receives the task writes its hostname there at once
(`workers.signals`), before the task even starts; the caller, while it waits, reads the claim
and that worker's heartbeat in the registry (`bus.registry`). A worker killed mid-task stops
beating, its registry entry expires, and the caller sends the task again to a live worker.
"""

from __future__ import annotations

import uuid
from typing import Any

from bus.connections import redis_client

CLAIM_HEADER = "np_claim"
KEY_PREFIX = "np:claim:"
# The Celery options of every task a caller waits for. Acknowledged when a worker starts it, not
# when it ends (the project's default, for long jobs): if that worker dies, its caller has
# already sent the task again, and Redis must not hand the first copy to another worker once the
# visibility timeout has passed, to run for a caller that has its answer or has gone.
WAITED_FOR_TASK_OPTIONS: dict[str, Any] = {"acks_late": False}
# A claim is read only while its caller waits. The worker deletes it when the task ends; one
# left by a killed worker is gone within this long.
CLAIM_TTL_SECONDS = 600


def new_key() -> str:
    return f"{KEY_PREFIX}{uuid.uuid4().hex}"


def claim_key(request: Any) -> str | None:
    """The claim key named in a task's headers, if any: from the worker's `Request` when the
    task is received, or from the task's `Context` (headers as attributes) while it runs."""
    headers = getattr(request, "request_dict", None)
    if isinstance(headers, dict):
        key = headers.get(CLAIM_HEADER)
    else:
        key = getattr(request, CLAIM_HEADER, None)
    return key if isinstance(key, str) and key.startswith(KEY_PREFIX) else None


def record(key: str, hostname: str) -> None:
    """The worker `hostname` took the task claimed under `key`."""
    redis_client().set(key, hostname, ex=CLAIM_TTL_SECONDS)


def release(key: str) -> None:
    """The task claimed under `key` has ended."""
    redis_client().delete(key)


def holder(key: str) -> str | None:
    """The hostname of the worker that took the task, or None while nobody has."""
    value = redis_client().get(key)
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
