"""Streaming a worker's partial results to a web process through Redis pub/sub.

A streamed steering request names a channel (`new_channel()`). The web process subscribes to it
*before* it sends the task, so no frame can be published before anyone listens; the worker
publishes `frame` messages as tokens come in, then exactly one `done` (the final result) or
`error` (`{error, status}`) message. Pub/sub keeps nothing: a listener that is gone simply misses
the frames, and the task still finishes and returns its result.

Both sides import this module, so it must not import torch.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal, TypedDict

import redis

from bus.connections import redis_client

CHANNEL_PREFIX = "np:steer:"
FRAME, DONE, ERROR = "frame", "done", "error"
POLL_SECONDS = 1.0  # a subscriber checks its deadline at least this often


class Message(TypedDict):
    kind: Literal["frame", "done", "error"]
    data: dict[str, Any]


def new_channel() -> str:
    return CHANNEL_PREFIX + uuid.uuid4().hex


def publish(channel: str, kind: str, data: dict[str, Any]) -> None:
    redis_client(None).publish(channel, json.dumps({"kind": kind, "data": data}))


def publisher(channel: str) -> Callable[[dict[str, Any]], None]:
    """An `on_frame` callback publishing each cumulative frame on `channel` (one pooled client)."""
    conn = redis_client(None)

    def on_frame(frame: dict[str, Any]) -> None:
        conn.publish(channel, json.dumps({"kind": FRAME, "data": frame}))

    return on_frame


def finish(channel: str, result: dict[str, Any]) -> None:
    """Publish the final message: `error` for an `{error, status}` result, else `done`."""
    is_error = "error" in result and "status" in result
    publish(channel, ERROR if is_error else DONE, result)


class Subscription:
    """Listens on one channel; use as a context manager so the connection is always closed."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._conn = redis_client(None)
        self._pubsub = self._conn.pubsub()
        self._pubsub.subscribe(channel)
        # Wait for the server's confirmation: only then is a publish guaranteed to reach us.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            message = self._pubsub.get_message(timeout=POLL_SECONDS)
            if message and message["type"] == "subscribe":
                return
        self.close()
        raise redis.TimeoutError(f"Could not subscribe to {channel}")

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._pubsub.close()  # hands its connection back to the pool

    def next_message(self, wait: float) -> Message | None:
        """The next message, or None when `wait` seconds pass without one."""
        deadline = time.monotonic() + wait
        while (remaining := deadline - time.monotonic()) > 0:
            raw = self._pubsub.get_message(
                ignore_subscribe_messages=True, timeout=min(POLL_SECONDS, remaining)
            )
            if raw is not None and raw["type"] == "message":
                message: Message = json.loads(raw["data"])
                return message
        return None
