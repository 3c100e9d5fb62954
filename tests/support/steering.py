"""Helpers of the steering tests: the tiny model's worker, and reading streamed answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.worker_processes import WorkerProcess
from tests.support.worker_processes import spawn_worker as shared_spawn_worker

MODEL_ID = "tiny-steer"
N_LAYERS = 2

Factory = Callable[..., Any]


def spawn_worker(log_dir: Path, *args: str, env: dict[str, str] | None = None) -> WorkerProcess:
    return shared_spawn_worker(log_dir, *args, env=env, prefix="steer")


def tiny_worker_args(dirs: tuple[Path, Path]) -> list[str]:
    model_dir, sae_root = dirs
    return [
        "--model",
        MODEL_ID,
        "--model-dir",
        str(model_dir),
        "--sae-dir",
        str(sae_root),
        "--device",
        "cpu",
        "--no-default-queue",
        "--concurrency",
        "2",
    ]


def seed_users() -> None:
    """The users migrations seed (the bot owns imported rows). A transactional test runs after
    another one's flush, which empties every table, seeded rows included."""
    from neuronpedia_site.accounts import SEEDED_USERS
    from neuronpedia_site.models import User

    for user_id, name, admin in SEEDED_USERS:
        User.objects.get_or_create(
            id=user_id,
            defaults={"username": name, "bot": True, "is_staff": admin, "is_superuser": admin},
        )


def sse_frames(body: bytes) -> list[dict[str, Any]]:
    """The JSON objects of a `text/event-stream` body (`data: {...}` events)."""
    frames = []
    for event in body.decode().split("\n\n"):
        lines = [line[5:].strip() for line in event.splitlines() if line.startswith("data:")]
        if lines:
            frames.append(json.loads("\n".join(lines)))
    return frames


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)
