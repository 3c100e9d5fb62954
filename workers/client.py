"""The web side's only door to the workers: send tasks by name, never import them.

Web processes must not import torch, so tasks are addressed by their registered names
(`workers.tasks.<name>`) and their queues. `call` waits for the answer on a reply list of its
own (`workers.replies`); tasks sent with `send` keep their result in Celery's result backend.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings

from neuronpedia_site.celery import app
from neuronpedia_site.errors import ApiError
from workers import registry, replies

DEFAULT_QUEUE = "default"


def inference_queue(model_id: str) -> str:
    """One queue per served model: every worker for that model consumes it."""
    return f"inference.{model_id}"


def require_worker(queue: str) -> None:
    if not registry.workers_for_queue(queue):
        prefix = inference_queue("")
        start = (
            f"--model {queue[len(prefix) :]}" if queue.startswith(prefix) else f"--queues {queue}"
        )
        raise ApiError(
            f"No worker is serving the queue '{queue}'. Start one with: "
            f"python manage.py run_worker {start}",
            status=503,
            extra={"queue": queue},
        )


def send(name: str, kwargs: dict[str, Any], queue: str = DEFAULT_QUEUE) -> str:
    """Fire and forget; returns the task id."""
    return app.send_task(f"workers.tasks.{name}", kwargs=kwargs, queue=queue).id


def call(
    name: str,
    kwargs: dict[str, Any],
    queue: str,
    timeout: float | None = None,
    checked: bool = False,
) -> Any:
    """Run a task on a live worker of `queue` and wait for its result (`workers.replies`: the
    worker pushes it to a list named in the task's headers; 504 after `timeout` seconds, 502
    when the task raised).

    Errors raised by the worker as `{"error": message, "status": code}` results come back as
    ApiError with that status, so bad input found on the worker is still a clear 4xx.
    `checked`: the caller has just found a live worker of `queue` in the registry.
    """
    if not checked:
        require_worker(queue)
    key = f"{replies.KEY_PREFIX}{uuid.uuid4().hex}"
    app.send_task(
        f"workers.tasks.{name}",
        kwargs=kwargs,
        queue=queue,
        ignore_result=True,
        headers={replies.REPLY_HEADER: key},
    )
    reply = replies.wait(key, timeout or settings.INFERENCE_TIMEOUT)
    if reply is None:
        raise ApiError(f"The worker on '{queue}' did not answer in time.", status=504)
    if "failed" in reply:
        raise ApiError(f"The worker on '{queue}' failed: {reply['failed']}", status=502)
    value = reply["result"]
    if isinstance(value, dict) and "error" in value and "status" in value:
        raise ApiError(value["error"], status=int(value["status"]))
    return value
