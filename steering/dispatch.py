"""Steering's calls to the worker that serves a model (`bus.routing` finds its queue): wait for
a task's result, or relay its streamed frames as server-sent events."""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator
from typing import Any

from django.conf import settings

from bus import client, frames
from bus.errors import WorkerError
from bus.routing import queue_for
from neuronpedia_site.errors import error_body
from neuronpedia_site.event_stream import sse_event

log = logging.getLogger(__name__)

Shape = Callable[[dict[str, Any]], dict[str, Any]]


def call_worker(model_id: str, task: str, kwargs: dict[str, Any]) -> Any:
    """Run the task named `task` for `model_id` and wait (WorkerError with the worker's
    status)."""
    return client.call(
        task, {"model": model_id, **kwargs}, queue_for(model_id), timeout=settings.INFERENCE_TIMEOUT
    )


def stream_task(
    model_id: str, task: str, kwargs: dict[str, Any], frame_body: Shape, done_body: Shape
) -> Iterator[bytes]:
    """Send `task` and relay what the worker publishes as SSE: `frame_body(frame)` per
    cumulative frame, then `done_body(result)`, or an `{error, message, status}` event. The task
    is sent before this returns, so a missing worker is still an HTTP error (503) rather than an
    event; a worker that dies mid-stream is replaced by another (`bus.client.stream`)."""
    messages = client.stream(
        task, {"model": model_id, **kwargs}, queue_for(model_id), settings.INFERENCE_TIMEOUT
    )
    return _relay(messages, frame_body, done_body)


def _relay(
    messages: Generator[frames.Message, None, None], frame_body: Shape, done_body: Shape
) -> Iterator[bytes]:
    try:
        for message in messages:
            data = message["data"]
            if message["kind"] == frames.ERROR:
                yield sse_event(error_body(data["error"], status=data["status"]))
            elif message["kind"] == frames.FRAME:
                yield sse_event(frame_body(data))
            else:
                yield sse_event(done_body(data))
    except WorkerError as exc:
        log.warning("stream ended early: %s", exc.message)
        yield sse_event(error_body(exc.message, status=exc.status))
    finally:
        messages.close()  # a client that went away: unsubscribe now, not when collected
