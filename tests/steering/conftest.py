"""Steering test fixtures: the tiny model served by a real worker, and its database rows.

Starting a worker process costs ~10 s (torch imports, model load), so the steering tests share
one (`steer_worker`, package scope), consuming its model's queue only (`--no-default-queue`).
The worker never reads the database (features are resolved on the web side), so worker tests
run inside the test's transaction like any other; only the live-server test must commit. Between tests the
suite's Redis flush would drop that worker's registry entry and the broker's queue bindings, so
here the flush spares exactly those keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.support.steering import (
    MODEL_ID,
    N_LAYERS,
    seed_users,
    spawn_worker,
    tiny_worker_args,
)
from tests.support.tiny_models import D_MODEL, SAE_SPECS, build_model_dir, build_sae_root
from tests.support.worker_processes import WorkerProcess, empty_redis_but_workers


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Overrides the root fixture: keeps the package's worker reachable."""
    empty_redis_but_workers()
    yield


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny model and its SAEs (tests/support/tiny_models.py), built once per session."""
    import torch

    torch.manual_seed(0)
    model_dir = build_model_dir(
        tmp_path_factory.mktemp("steer-tokenizer"), tmp_path_factory.mktemp("steer-model")
    )
    return model_dir, build_sae_root(tmp_path_factory.mktemp("steer-saes"))


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


@pytest.fixture
def tiny_model(db: None) -> Any:
    """Database rows matching the served tiny model: the model, its SAE sources, a few
    features with explanations."""
    from features.models import Visibility

    seed_users()
    from tests.support.factories import make_explanation, make_feature, make_model, make_source

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


@pytest.fixture
def api() -> APIClient:
    """A client that sends the deployment's /v1 secret with every request."""
    client = APIClient()
    client.credentials(HTTP_X_SECRET_KEY=settings.INFERENCE_SECRET)
    return client
