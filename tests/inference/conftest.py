"""One real inference worker for the whole package, serving the tiny seeded model and SAEs.

The model and SAEs come from the `tests.support.tiny_models` builders, written to a session tmp dir;
feature 5 of `0-res-demo` is rewired to fire on the BOS token only, so BOS handling is visible.
The worker (`manage.py run_worker --model tiny-demo ...`) starts once per package; the reference
answers the tests compare against are computed here, in the test process, the plain way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.inference import (
    BOS_FEATURE,
    BOS_SOURCE,
    MODEL_ID,
    TOKEN_LIMIT,
    Reference,
    TinyPack,
    make_bos_only_feature,
)
from tests.support.tiny_models import build_model_dir, build_sae_root
from tests.support.worker_processes import empty_redis_but_workers, spawn_worker


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> None:
    import torch

    torch.set_num_threads(1)  # the references are tiny; extra threads only contend with workers


@pytest.fixture(autouse=True)
def _saves_in_the_request(settings: Any) -> None:
    """Search results are saved before the answer, so tests can look at the rows at once (the
    background thread's own connection would not see a test's uncommitted rows anyway)."""
    settings.INFERENCE_BACKGROUND_SAVES = False


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Overrides the root fixture: keeps the package's worker reachable."""
    empty_redis_but_workers()
    yield


@pytest.fixture(scope="session")
def tiny_pack(tmp_path_factory: pytest.TempPathFactory) -> TinyPack:
    root = tmp_path_factory.mktemp("inference-pack")
    model_dir = build_model_dir(root / "tokenizer", root / "model")
    sae_root = build_sae_root(root / "saes")
    make_bos_only_feature(model_dir, sae_root / BOS_SOURCE, BOS_FEATURE)
    return TinyPack(model_dir, sae_root)


@pytest.fixture(scope="package")
def worker(tiny_pack: TinyPack, django_db_setup: None, tmp_path_factory: pytest.TempPathFactory):
    """`run_worker --model tiny-demo` on the tiny pack, consuming only its inference queue."""
    args = [
        "--model",
        MODEL_ID,
        "--model-dir",
        str(tiny_pack.model_dir),
        "--sae-dir",
        str(tiny_pack.sae_root),
        "--device",
        "cpu",
        "--token-limit",
        str(TOKEN_LIMIT),
        "--batch-wait-ms",
        "20",  # the cap; the wait itself is a quarter of the last pass (workers.batcher)
        "--no-default-queue",
    ]
    process = spawn_worker(
        tmp_path_factory.mktemp("worker-log"), *args, prefix="inference", wait=90
    )
    yield process
    process.stop()


# -- database rows -----------------------------------------------------------------------------


@pytest.fixture
def seeded(db: None) -> None:
    """The seeded bot users (a transactional test elsewhere may have truncated them)."""
    from neuronpedia_site.accounts import seed_users

    seed_users()


@pytest.fixture
def tiny_model(seeded: None) -> Any:
    """The Model row and its public sources."""
    from tests.support.factories import make_model, make_source

    model = make_model(MODEL_ID, layers=2, dimension=64)
    for source in ("0-res-demo", "1-res-demo", "1-jr-demo"):
        make_source(model, source)
    return model


# -- the reference: the same model and SAEs, computed the plain way ----------------------------


@pytest.fixture(scope="session")
def reference(tiny_pack: TinyPack) -> Reference:
    return Reference(tiny_pack)
