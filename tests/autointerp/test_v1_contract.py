"""The autointerp server contract under `/v1`, driven by the PyPI `neuronpedia-autointerp-client`
unchanged: explain/default, score/fuzz-detection and score/embedding (X-SECRET-KEY checked
against INFERENCE_SECRET), with examples taken from the demo pack's features."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from bench.fake_llm import FakeLLM, Recorded, Reply
from tests.support.worker_processes import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)
DEMO = Path(__file__).resolve().parents[2] / "demo_pack/demo-lm/export/v1/demo-lm/1-res-demo"
SPACE_FEATURE, SPORTS_FEATURE = (
    "250",
    "37",
)  # "space: comets, astronauts, ..."; "sports: rugby, league, ..."


def demo_examples(index: str, count: int = 10) -> list[dict[str, Any]]:
    with gzip.open(DEMO / "activations/batch-0.jsonl.gz", "rt") as rows:
        found = [json.loads(line) for line in rows]
    mine = sorted((r for r in found if r["index"] == index), key=lambda r: -r["maxValue"])
    return [{"tokens": r["tokens"], "values": r["values"]} for r in mine[:count]]


def space_examples_with_negatives() -> list[Any]:
    """The space feature's top texts, and sports texts where it is taken as silent (zeros)."""
    from neuronpedia_autointerp_client import NPActivation

    negatives = [
        {"tokens": e["tokens"], "values": [0.0] * len(e["values"])}
        for e in demo_examples(SPORTS_FEATURE, 5)
    ]
    return [NPActivation(**e) for e in demo_examples(SPACE_FEATURE) + negatives]


@pytest.fixture
def api(live_server: Any) -> Any:
    from neuronpedia_autointerp_client import ApiClient, Configuration, DefaultApi

    config = Configuration(
        host=live_server.url + "/v1",
        api_key={"SimpleSecretAuth": django_settings.INFERENCE_SECRET},
    )
    return DefaultApi(ApiClient(config))


def test_explain_default(worker: WorkerProcess, llm: FakeLLM, api: Any) -> None:
    from neuronpedia_autointerp_client import ExplainDefaultPostRequest, NPActivation

    llm.queue(Reply(content="Looking at it...\n[EXPLANATION]: Outer space and stars"))
    examples = [NPActivation(**e) for e in demo_examples(SPACE_FEATURE)]
    answer = api.explain_default_post(
        ExplainDefaultPostRequest(
            activations=examples, openrouter_key="sk-good", model="openai/gpt-4o-mini"
        )
    )
    assert answer.explanation == "Outer space and stars"
    (request,) = llm.chats()
    assert request.authorization == "Bearer sk-good"
    assert request.body["model"] == "openai/gpt-4o-mini"
    assert request.last_user.count("<<") >= len(examples)  # every example, marked


def test_score_fuzz_detection(worker: WorkerProcess, llm: FakeLLM, api: Any) -> None:
    from neuronpedia_autointerp_client import (
        NPScoreFuzzDetectionType,
        ScoreFuzzDetectionPostRequest,
    )

    def says_yes_to_space(request: Recorded) -> Reply:
        lines = [line for line in request.last_user.splitlines() if line.startswith("Example")]
        words = ("nebula", "spaceship", "Jupiter", "star", "galaxy", "planet", "orbit", "solar")
        return Reply(content=json.dumps([int(any(w in line for w in words)) for line in lines]))

    llm.default = says_yes_to_space
    answer = api.score_fuzz_detection_post(
        ScoreFuzzDetectionPostRequest(
            activations=space_examples_with_negatives(),
            explanation="outer space",
            openrouter_key="sk-good",
            model="openai/gpt-4o-mini",
            type=NPScoreFuzzDetectionType.DETECTION,
        )
    )
    assert len(answer.breakdown) == 15
    assert answer.score > 0.5
    item = answer.breakdown[0]
    assert item.str_tokens and item.activations is not None and item.ground_truth is not None
    assert len(llm.chats()) == 3


def test_score_embedding_ranks_the_right_explanation_higher(
    worker: WorkerProcess, llm: FakeLLM, api: Any
) -> None:
    from neuronpedia_autointerp_client import ScoreEmbeddingPostRequest

    def scored(explanation: str) -> float:
        answer = api.score_embedding_post(
            ScoreEmbeddingPostRequest(
                activations=space_examples_with_negatives(), explanation=explanation
            )
        )
        assert len(answer.breakdown) == 15
        assert {b.distance for b in answer.breakdown} == {1, -1}
        return float(answer.score)

    assert scored("planets, stars and outer space") > scored("football referees and goals")
    assert llm.requests == []


def test_a_wrong_secret_is_a_401(worker: WorkerProcess, live_server: Any) -> None:
    from neuronpedia_autointerp_client import ApiClient, Configuration, DefaultApi
    from neuronpedia_autointerp_client.exceptions import UnauthorizedException
    from neuronpedia_autointerp_client.models import ScoreEmbeddingPostRequest

    api = DefaultApi(
        ApiClient(Configuration(host=live_server.url + "/v1", api_key={"SimpleSecretAuth": "nope"}))
    )
    with pytest.raises(UnauthorizedException):
        api.score_embedding_post(
            ScoreEmbeddingPostRequest(activations=space_examples_with_negatives(), explanation="x")
        )


def test_camel_case_bodies_are_accepted_and_bad_ones_are_400(
    worker: WorkerProcess, llm: FakeLLM
) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_X_SECRET_KEY=django_settings.INFERENCE_SECRET)
    llm.queue(Reply(content="[EXPLANATION]: space"))
    body = {
        "activations": demo_examples(SPACE_FEATURE, 3),
        "openrouterKey": "sk-good",
        "model": "m",
    }
    assert client.post("/v1/explain/default", body, format="json").json() == {
        "explanation": "space"
    }
    bad = client.post(
        "/v1/score/embedding",
        {"activations": [{"tokens": ["a"], "values": [1, 2]}], "explanation": "x"},
        format="json",
    )
    assert bad.status_code == 400
    one_kind = client.post(
        "/v1/score/embedding",
        {"activations": demo_examples(SPACE_FEATURE, 3), "explanation": "x"},
        format="json",
    )
    assert one_kind.status_code == 400
    assert "both activating and non-activating" in one_kind.json()["message"]
