"""POST /api/graph/generate: auth, upstream's ranges, unknown models, a model with no live
worker or no transcoders (503 naming the queue), and (with the graph worker) a real graph
stored and recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from graphs.models import GraphMetadata
from tests.support.accounts import Account
from tests.support.graphs import GRAPH_MODEL, require_graph_tasks
from tests.support.worker_processes import WorkerProcess, empty_redis_but_workers, spawn_worker


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Overrides the root fixture: keeps this module's workers reachable."""
    empty_redis_but_workers()
    yield


BODY = {"modelId": GRAPH_MODEL, "prompt": "The cat sat on the", "slug": "cat-sat"}


@pytest.mark.django_db
def test_it_needs_a_user(anon: APIClient, graph_model: Any) -> None:
    assert anon.post("/api/graph/generate", BODY, format="json").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("maxNLogits", 4),
        ("maxNLogits", 16),
        ("desiredLogitProb", 0.995),
        ("nodeThreshold", 0.4),
        ("edgeThreshold", 0.99),
        ("maxFeatureNodes", 20000),
        ("prompt", ""),
        ("prompt", "x" * 10001),
    ],
)
def test_it_checks_upstreams_ranges(
    alice: Account, graph_model: Any, field: str, value: Any
) -> None:
    answer = alice.client().post("/api/graph/generate", {**BODY, field: value}, format="json")
    assert answer.status_code == 400
    assert answer.json()["message"].startswith(field)


@pytest.mark.django_db
def test_a_bad_slug_or_unknown_model_is_refused(alice: Account, graph_model: Any) -> None:
    answer = alice.client().post("/api/graph/generate", {**BODY, "slug": "a b"}, format="json")
    assert answer.status_code == 400 and "Invalid scan or slug" in answer.json()["message"]
    answer = alice.client().post("/api/graph/generate", {**BODY, "modelId": "nope"}, format="json")
    assert answer.status_code == 404


@pytest.mark.django_db
def test_a_model_without_a_worker_is_503_naming_the_queue(alice: Account, graph_model: Any) -> None:
    answer = alice.client().post("/api/graph/generate", BODY, format="json")
    assert answer.status_code == 503
    assert "inference.graph-lm" in answer.json()["message"]
    assert not GraphMetadata.objects.exists()


@pytest.fixture(scope="module")
def plain_worker(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    """A worker of the tiny steering model, which has SAEs but no transcoders."""
    import torch

    from tests.support.steering import tiny_worker_args
    from tests.support.tiny_models import build_model_dir, build_sae_root

    torch.manual_seed(0)
    dirs = (
        build_model_dir(tmp_path_factory.mktemp("gtok"), tmp_path_factory.mktemp("gmodel")),
        build_sae_root(tmp_path_factory.mktemp("gsaes")),
    )
    worker = spawn_worker(tmp_path_factory.mktemp("gworker"), *tiny_worker_args(dirs))
    yield worker
    worker.stop()


@pytest.mark.django_db
def test_a_model_without_transcoders_is_503_naming_the_queue(
    alice: Account, plain_worker: WorkerProcess
) -> None:
    from tests.support.factories import make_model
    from tests.support.steering import MODEL_ID

    make_model(MODEL_ID)
    answer = alice.client().post(
        "/api/graph/generate", {**BODY, "modelId": MODEL_ID}, format="json"
    )
    assert answer.status_code == 503
    message = answer.json()["message"]
    assert f"No transcoders for model {MODEL_ID}" in message
    assert f"inference.{MODEL_ID}" in message


@pytest.fixture(scope="module")
def demo_graph_worker(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    require_graph_tasks()
    worker = spawn_worker(tmp_path_factory.mktemp("demo-graph-worker"), "--model", "demo-lm")
    yield worker
    worker.stop()


@pytest.mark.django_db
def test_it_generates_stores_and_records_a_graph(
    alice: Account, demo_graph_worker: WorkerProcess, graph_dir: Path
) -> None:
    from tests.support.factories import make_model

    make_model("demo-lm", layers=2, dimension=64)
    body = {**BODY, "modelId": "demo-lm", "slug": "demo-cat", "nodeThreshold": 0.8}
    answer = alice.client().post("/api/graph/generate", body, format="json")
    assert answer.status_code == 200, answer.json()
    reply = answer.json()
    assert reply["url"].endswith("/demo-lm/graph?slug=demo-cat")
    row = GraphMetadata.objects.get(model_id="demo-lm", slug="demo-cat")
    graph = json.loads((graph_dir / row.storage_key).read_text())
    assert reply["numNodes"] == len(graph["nodes"]) > 0
    assert reply["numLinks"] == len(graph["links"])
    assert row.prompt_tokens == graph["metadata"]["prompt_tokens"]
    assert row.source_set_name == "tc-demo" and row.user_id == alice.user.id
    assert any(n["feature_type"] == "logit" for n in graph["nodes"])

    long_prompt = {**body, "slug": "too-long", "prompt": " cat" * 80}
    answer = alice.client().post("/api/graph/generate", long_prompt, format="json")
    assert answer.status_code == 400
    assert not GraphMetadata.objects.filter(slug="too-long").exists()
