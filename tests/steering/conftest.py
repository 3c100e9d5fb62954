"""Steering test fixtures: the tiny model served by a real worker, and its database rows.

Starting a worker process costs ~10 s (torch imports, model load), so the steering tests share
one (`steer_worker`, package scope), consuming its model's queue only (`--no-default-queue`).
The worker never reads the database (features are resolved on the web side), so worker tests
run inside the test's transaction like any other; only the live-server test must commit. Between tests the
suite's Redis flush would drop that worker's registry entry and the broker's queue bindings, so
here the flush spares exactly those keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.conftest import WorkerProcess, empty_redis_but_workers
from tests.conftest import spawn_worker as shared_spawn_worker
from tests.workers.conftest import D_MODEL, SAE_SPECS, build_model_dir, build_sae_root

MODEL_ID = "tiny-steer"
N_LAYERS = 2


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Overrides the root fixture: keeps the package's worker reachable."""
    empty_redis_but_workers()
    yield


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny model and its SAEs (tests/workers/conftest.py), built once per session."""
    import torch

    torch.manual_seed(0)
    model_dir = build_model_dir(
        tmp_path_factory.mktemp("steer-tokenizer"), tmp_path_factory.mktemp("steer-model")
    )
    return model_dir, build_sae_root(tmp_path_factory.mktemp("steer-saes"))


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


@pytest.fixture(scope="package")
def steer_worker(
    tiny_dirs: tuple[Path, Path],
    django_db_setup: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WorkerProcess]:
    """A worker serving `tiny-steer`, started once for every steering test that needs one."""
    worker = spawn_worker(tmp_path_factory.mktemp("steer-worker"), *tiny_worker_args(tiny_dirs))
    yield worker
    worker.stop()


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


@pytest.fixture
def tiny_model(db: None) -> Any:
    """Database rows matching the served tiny model: the model, its SAE sources, a few
    features with explanations."""
    from features.models import Visibility

    seed_users()
    from tests.factories import make_explanation, make_feature, make_model, make_source

    model = make_model(
        MODEL_ID,
        layers=N_LAYERS,
        dimension=D_MODEL,
        display_name="Tiny steer",
        visibility=Visibility.PUBLIC,
    )
    for source_id in SAE_SPECS:
        source = make_source(model, source_id)
        for index in (4, 12):
            feature = make_feature(source, index)
            make_explanation(feature, f"tiny feature {source_id} {index}")
    return model


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


Factory = Callable[..., Any]


@pytest.fixture
def api() -> APIClient:
    return APIClient()
