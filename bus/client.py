"""The web side's only door to the workers: send tasks by name, never import them.

Web processes must not import torch, so tasks are addressed by their registered names
(`bus.task_names`) and their queues. `call` waits for the answer on a reply list of its own
(`bus.replies`); tasks sent with `send` keep their result in Celery's result backend.
"""

from __future__ import annotations

import uuid
from typing import Any

from bus import registry, replies
from bus.connections import celery_app
from bus.errors import WorkerError

DEFAULT_QUEUE = "default"
INFERENCE_QUEUE_PREFIX = "inference."
# Query embeddings for explanation search: short tasks, kept off the default queue so a long
# job there never holds a search up (`run_worker --queues embed`).
EMBED_QUEUE = "embed"


def inference_queue(model_id: str) -> str:
    """One queue per served model: every worker for that model consumes it."""
    return f"{INFERENCE_QUEUE_PREFIX}{model_id}"


def require_worker(queue: str) -> None:
    """503 naming the command to start, unless a live worker consumes `queue`."""
    if not registry.workers_for_queue(queue):
        if queue.startswith(INFERENCE_QUEUE_PREFIX):
            start = f"--model {queue.removeprefix(INFERENCE_QUEUE_PREFIX)}"
        else:
            start = f"--queues {queue}"
        raise WorkerError(
            f"No worker is serving the queue '{queue}'. Start one with: "
            f"python manage.py run_worker {start}",
            status=503,
            extra={"queue": queue},
        )


def send(name: str, kwargs: dict[str, Any], queue: str = DEFAULT_QUEUE) -> str:
    """Fire and forget; returns the task id."""
    return celery_app().send_task(name, kwargs=kwargs, queue=queue).id


def call(
    name: str,
    kwargs: dict[str, Any],
    queue: str,
    timeout: float,
    checked: bool = False,
) -> Any:
    """Run a task on a live worker of `queue` and wait for its result (`bus.replies`: the
    worker pushes it to a list named in the task's headers; 504 after `timeout` seconds, 502
    when the task raised).

    Errors raised by the worker as `{"error": message, "status": code}` results come back as
    WorkerError with that status, so bad input found on the worker is still a clear 4xx.
    `checked`: the caller has just found a live worker of `queue` in the registry.
    """
    if not checked:
        require_worker(queue)
    key = f"{replies.KEY_PREFIX}{uuid.uuid4().hex}"
    celery_app().send_task(
        name,
        kwargs=kwargs,
        queue=queue,
        ignore_result=True,
        headers={replies.REPLY_HEADER: key},
    )
    reply = replies.wait(key, timeout)
    if reply is None:
        raise WorkerError(f"The worker on '{queue}' did not answer in time.", status=504)
    if "failed" in reply:
        raise WorkerError(f"The worker on '{queue}' failed: {reply['failed']}", status=502)
    value = reply["result"]
    if isinstance(value, dict) and "error" in value and "status" in value:
        raise WorkerError(value["error"], status=int(value["status"]))
    return value
