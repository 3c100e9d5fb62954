"""tokenize, parse-chat-prompt, steer-logits and the /v1/graph contract through a real graph worker (the demo
model with its transcoders). These need the worker side's tasks: they fail under CI=true until
`workers/tasks/graphs.py` exists, and skip elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.support.graphs import require_graph_tasks
from tests.support.worker_processes import WorkerProcess, empty_redis_but_workers, spawn_worker

pytestmark = pytest.mark.django_db
PROMPT = "The cat sat on the"


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    empty_redis_but_workers()
    yield


@pytest.fixture(scope="module")
def demo_graph_worker(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    require_graph_tasks()
    worker = spawn_worker(tmp_path_factory.mktemp("graph-calls"), "--model", "demo-lm")
    yield worker
    worker.stop()


@pytest.fixture
def demo_model(db: None) -> Any:
    from tests.support.factories import make_model

    return make_model("demo-lm", layers=2, dimension=64)


def test_tokenize_answers_the_forward_pass(
    anon: APIClient, demo_graph_worker: WorkerProcess, demo_model: Any
) -> None:
    body = {"modelId": "demo-lm", "prompt": PROMPT}
    answer = anon.post("/api/graph/tokenize", body, format="json")
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert data["input_tokens"] and data["salient_logits"]
    assert {"token", "token_id", "probability"} <= set(data["salient_logits"][0])
    assert 0 < data["cumulative_probability"] <= 1


def test_parse_chat_prompt_gives_back_the_turns_tokenize_rendered(
    anon: APIClient, demo_graph_worker: WorkerProcess, demo_model: Any
) -> None:
    messages = [
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": "What does a cat say?"},
    ]
    rendered = anon.post(
        "/api/graph/tokenize", {"modelId": "demo-lm", "messages": messages}, format="json"
    ).json()["prompt"]
    assert rendered.startswith("<|im_start|>system\n")  # the demo model's ChatML
    answer = anon.post(
        "/api/graph/parse-chat-prompt",
        {"modelId": "demo-lm", "prompt": "<|endoftext|>" + rendered},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json() == {
        "messages": [*messages, {"role": "assistant", "content": ""}],
        "is_chat": True,
        "prompt": rendered,
        "unsteerable_positions": [0],
    }
    assert answer["x-limit-remaining"] == "299"  # upstream's 300 an hour

    plain = anon.post(
        "/api/graph/parse-chat-prompt", {"modelId": "demo-lm", "prompt": PROMPT}, format="json"
    ).json()
    assert (plain["messages"], plain["is_chat"], plain["prompt"]) == (None, False, PROMPT)

    v1 = anon.post(
        "/v1/graph/parse-chat-prompt",
        {"model_id": "demo-lm", "prompt": rendered},
        format="json",
        HTTP_X_SECRET_KEY=settings.INFERENCE_SECRET,
    )
    assert v1.status_code == 200 and v1.json()["messages"] == answer.json()["messages"]


def test_parse_chat_prompt_refuses_bad_bodies_and_unknown_models(
    anon: APIClient, demo_model: Any
) -> None:
    empty = anon.post("/api/graph/parse-chat-prompt", {"modelId": "demo-lm"}, format="json")
    assert empty.status_code == 400 and {"error", "message"} <= set(empty.json())
    long = {"modelId": "demo-lm", "prompt": "x" * 10_001}
    assert anon.post("/api/graph/parse-chat-prompt", long, format="json").status_code == 400
    unknown = {"modelId": "no-such-model", "prompt": "hi"}
    assert anon.post("/api/graph/parse-chat-prompt", unknown, format="json").status_code == 404


def test_steer_logits_answers_both_generations(
    anon: APIClient, demo_graph_worker: WorkerProcess, demo_model: Any
) -> None:
    feature = {
        "layer": 0,
        "index": 0,
        "token_active_position": 1,
        "steer_position": 1,
        "steer_generated_tokens": False,
        "ablate": True,
        "delta": None,
    }
    body = {
        "modelId": "demo-lm",
        "prompt": PROMPT,
        "features": [feature],
        "nTokens": 3,
        "temperature": 0,
    }
    answer = anon.post("/api/steer-logits", body, format="json")
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    for key in (
        "DEFAULT_GENERATION",
        "STEERED_GENERATION",
        "DEFAULT_LOGITS_BY_TOKEN",
        "STEERED_LOGITS_BY_TOKEN",
    ):
        assert key in data


def test_the_v1_contract_answers_a_schema_valid_graph(
    anon: APIClient, demo_graph_worker: WorkerProcess, demo_model: Any, tmp_path: Path
) -> None:
    from graphs.schema_check import check_graph

    body = {"model_id": "demo-lm", "slug_identifier": "v1-cat", "prompt": PROMPT}
    answer = anon.post(
        "/v1/graph/generate-graph", body, format="json", HTTP_X_SECRET_KEY=settings.INFERENCE_SECRET
    )
    assert answer.status_code == 200, answer.json()
    graph = check_graph(answer.json())
    assert graph["metadata"]["slug"] == "v1-cat" and graph["metadata"]["scan"] == "demo-lm"
    busy = anon.get("/v1/graph/check-busy", HTTP_X_SECRET_KEY=settings.INFERENCE_SECRET)
    assert busy.json() == {"busy": False}
