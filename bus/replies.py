"""Answers of the tasks the web side waits for, sent straight to the waiting caller.

`bus.client.call` names a Redis list in the task's headers (`np_reply_to`) and waits on it
with BLPOP; the worker pushes the task's return value there when the task ends
(`workers.signals`), and the task's own result is not stored. Celery's Redis result backend
would instead SET the result and PUBLISH it (the value sent twice, in a transaction), and the
caller would subscribe, wait on the channel, unsubscribe and DEL the key: four more round trips
per request on the hot inference path. No torch here: the web process imports this module.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import redis
from kombu.utils.json import dumps, loads

from bus.connections import redis_client

log = logging.getLogger(__name__)

REPLY_HEADER = "np_reply_to"
KEY_PREFIX = "np:reply:"
# A reply nobody takes (the caller timed out) disappears after this long.
REPLY_TTL_SECONDS = 600


def reply_key(request: Any) -> str | None:
    """The reply list named in a task request's headers, if any."""
    key = getattr(request, REPLY_HEADER, None)
    if key is None and isinstance(getattr(request, "headers", None), dict):
        key = request.headers.get(REPLY_HEADER)
    return key if isinstance(key, str) and key.startswith(KEY_PREFIX) else None


def push(key: str, value: Any, failed: bool) -> None:
    """Send a finished task's return value (or, `failed`, its exception) to the waiting caller.

    Encoded as Celery's JSON result serializer would (kombu's JSON: dates and UUIDs survive); a
    value that cannot be encoded is sent as a failure, so the caller never waits in vain.
    """
    try:
        body = dumps({"failed": repr(value)} if failed else {"result": value})
    except (TypeError, ValueError) as exc:
        body = dumps({"failed": f"the task's result could not be encoded: {exc}"})
    try:
        with redis_client().pipeline(transaction=False) as pipe:
            pipe.rpush(key, body)
            pipe.expire(key, REPLY_TTL_SECONDS)
            pipe.execute()
    except redis.RedisError:
        log.exception("could not send a reply to %s", key)


def wait(key: str, timeout: float) -> dict[str, Any] | None:
    """The reply pushed to `key`, or None after `timeout` seconds (whole seconds, at least one:
    BLPOP's own unit on every Redis version)."""
    got = redis_client(socket_timeout=None).blpop([key], timeout=max(1, math.ceil(timeout)))
    return loads(got[1]) if got else None
