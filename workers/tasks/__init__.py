"""Celery tasks of the worker runtime, named after their modules (Celery's default naming):
`workers.tasks.<name>` here, `workers.tasks.inference.<name>` and `workers.tasks.steering.<name>`
in the submodules. The web side sends them by name (`bus.task_names`) and never imports them.

Each task is a thin wrapper around a plain function in a noun module.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from bus.claims import WAITED_FOR_TASK_OPTIONS
from workers import serving


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def ping(payload: str = "pong") -> str:
    """Round-trip check used by the health command and tests."""
    return payload


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def worker_status() -> dict[str, Any]:
    """What this worker serves and how its search batches went (what the registry shows, but
    current rather than as of the last heartbeat)."""
    return serving.describe()


# Importing the submodules registers their tasks when Celery discovers this package.
from workers.tasks import autointerp, embeddings, graphs, inference, steering, umap  # noqa: E402, F401
