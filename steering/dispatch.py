"""Reaching the worker that serves a model: its queue (found in the live-worker registry),
waiting for a task's result, or relaying its streamed frames as server-sent events."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings

from neuronpedia_site.errors import error_body
from workers import client, frames, registry

log = logging.getLogger(__name__)

Shape = Callable[[dict[str, Any]], dict[str, Any]]


def queue_for(model_id: str) -> str:
    """The queue of the workers serving `model_id` (under its own id or as an override id);
    `inference.<model_id>` when none is alive, so the 503 names the queue to start."""
    for worker in registry.live_workers():
        served = worker.get("model_ids") or [worker.get("model_id")]
        if worker.get("model_id") and model_id in served:
            return client.inference_queue(str(worker["model_id"]))
    return client.inference_queue(model_id)


def call_worker(model_id: str, task: str, kwargs: dict[str, Any]) -> Any:
    """Run `workers.tasks.<task>` for `model_id` and wait (ApiError with the worker's status)."""
    return client.call(
        task, {"model": model_id, **kwargs}, queue_for(model_id), timeout=settings.INFERENCE_TIMEOUT
    )


def sse(data: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(data)}\n\n".encode()


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
                    yield sse(error_body(data["error"], status=data["status"]))
                elif message["kind"] == frames.FRAME:
                    yield sse(frame_body(data))
                else:
                    yield sse(done_body(data))
        except TimeoutError as exc:
            log.warning("stream timed out: %s", subscription.channel)
            yield sse(error_body(str(exc), status=504))
