"""The web side's only door to the workers: send tasks by name, never import them.

Web processes must not import torch, so tasks are addressed by their registered names
(`workers.tasks.<name>`) and their queues; results come back through the Redis result backend.
"""

from __future__ import annotations

from typing import Any

from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings

from neuronpedia_site.celery import app
from neuronpedia_site.errors import ApiError
from workers import registry

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
    """Run a task on a live worker of `queue` and wait for its result.

    Errors raised by the worker as `{"error": message, "status": code}` results come back as
    ApiError with that status, so bad input found on the worker is still a clear 4xx.
    `checked`: the caller has just found a live worker of `queue` in the registry.
    """
    if not checked:
        require_worker(queue)
    result = app.send_task(f"workers.tasks.{name}", kwargs=kwargs, queue=queue)
    try:
        value = result.get(timeout=timeout or settings.INFERENCE_TIMEOUT, propagate=False)
    except CeleryTimeout as exc:
        result.forget()
        raise ApiError(f"The worker on '{queue}' did not answer in time.", status=504) from exc
    failed = result.failed()  # read the state before forget() drops it
    result.forget()
    if failed:
        raise ApiError(f"The worker on '{queue}' failed: {value}", status=502)
    if isinstance(value, dict) and "error" in value and "status" in value:
        raise ApiError(value["error"], status=int(value["status"]))
    return value
