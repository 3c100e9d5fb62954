"""Steering's calls to the worker that serves a model (`bus.routing` finds its queue): wait for
a task's result, or relay its streamed frames as server-sent events."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings

from bus import client, frames
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
    """Send `task` with a fresh channel and relay what the worker publishes there as SSE:
    `frame_body(frame)` per cumulative frame, then `done_body(result)`, or an `{error, message,
    status}` event. The channel is subscribed to and the task sent before this returns, so a
    missing worker is still an HTTP error (503) rather than an event."""
    queue = queue_for(model_id)
    client.require_worker(queue)
    subscription = frames.Subscription(frames.new_channel())
    try:
        client.send(task, {"model": model_id, **kwargs, "channel": subscription.channel}, queue)
    except BaseException:
        subscription.close()
        raise
    return _relay(subscription, frame_body, done_body)


def _relay(
    subscription: frames.Subscription, frame_body: Shape, done_body: Shape
) -> Iterator[bytes]:
    with subscription:
        try:
            for message in subscription.messages(settings.INFERENCE_TIMEOUT):
                data = message["data"]
                if message["kind"] == frames.ERROR:
                    yield sse_event(error_body(data["error"], status=data["status"]))
                elif message["kind"] == frames.FRAME:
                    yield sse_event(frame_body(data))
                else:
                    yield sse_event(done_body(data))
        except TimeoutError as exc:
            log.warning("stream timed out: %s", subscription.channel)
            yield sse_event(error_body(str(exc), status=504))
