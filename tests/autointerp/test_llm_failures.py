"""An LLM that times out, answers 429 or 5xx, or replies with something unreadable is asked
again (LLM_TRIES=3 here), then the failure is reported clearly, and nothing is half-saved."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.fake_llm import FakeLLM, Reply
from features.models import Explanation, ExplanationScore
from neuronpedia_site import llm_keys
from tests.autointerp.features import MODEL_ID, SOURCE_ID, dinosaur_feature
from tests.support.accounts import Account
from tests.support.factories import make_explanation
from tests.support.worker_processes import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)
TOO_MANY = Reply(status=429, body=json.dumps({"error": {"message": "slow down"}}))
BROKEN = Reply(status=500, body=json.dumps({"error": {"message": "boom"}}))


def generate(account: Account, explanation_type: str = "eleuther_acts_top20") -> Any:
    llm_keys.save_user_key(account.user, "OPENROUTER", "sk-good")
    body = {
        "modelId": MODEL_ID,
        "layer": SOURCE_ID,
        "index": 7,
        "explanationType": explanation_type,
        "explanationModelName": "gpt-4o-mini",
    }
    return account.client().post("/api/explanation/generate", body, format="json")


@pytest.mark.parametrize(
    ("reply", "status", "words"),
    [
        (TOO_MANY, 429, "kept answering 429 Too Many Requests (3 tries)"),
        (BROKEN, 502, "failed with 500 (3 tries)"),
        (Reply(content="[EXPLANATION]: late", delay=1.5), 504, "did not answer within 1 s"),
        (Reply(content="I think it is about dinosaurs"), 502, "gave no usable reply in 3 tries"),
        (Reply(status=200, body="<html>not json</html>"), 502, "gave no usable reply in 3 tries"),
    ],
)
def test_failures_are_retried_then_reported(
    worker: WorkerProcess,
    llm: FakeLLM,
    alice: Account,
    config_rows: None,
    reply: Reply,
    status: int,
    words: str,
) -> None:
    dinosaur_feature()
    llm.default = lambda _request: reply

    answer = generate(alice)

    assert answer.status_code == status, answer.json()
    assert words in answer.json()["message"]
    assert answer.json()["error"] == answer.json()["message"]
    assert len(llm.chats()) == 3
    assert not Explanation.objects.exists()


def test_a_failure_that_passes_is_not_reported(
    worker: WorkerProcess, llm: FakeLLM, alice: Account, config_rows: None
) -> None:
    dinosaur_feature()
    llm.queue(TOO_MANY, Reply(content="no marker"), Reply(content="[EXPLANATION]: Dinosaurs"))
    answer = generate(alice)
    assert answer.status_code == 200, answer.json()
    assert Explanation.objects.get().description == "Dinosaurs"
    assert len(llm.chats()) == 3


def test_a_scorer_that_fails_half_way_saves_nothing(
    worker: WorkerProcess, llm: FakeLLM, alice: Account, config_rows: None
) -> None:
    feature = dinosaur_feature(zeros=3)
    explanation = make_explanation(feature, "dinosaurs")
    llm_keys.save_user_key(alice.user, "OPENROUTER", "sk-good")
    llm.queue(*[Reply(content='{"match": true, "reason": "yes"}')] * 5)
    llm.default = lambda _request: TOO_MANY
    body = {
        "explanationId": explanation.id,
        "scorerType": "recall_alt",
        "scorerModel": "gpt-4o-mini",
    }

    answer = alice.client().post("/api/explanation/score", body, format="json")

    assert answer.status_code == 429
    assert len(llm.chats()) == 5 + 3
    assert not ExplanationScore.objects.exists()


def test_a_rejected_key_is_a_400(
    worker: WorkerProcess, llm: FakeLLM, alice: Account, config_rows: None
) -> None:
    dinosaur_feature()
    llm.valid_keys.discard("sk-good")
    try:
        answer = generate(alice)
    finally:
        llm.valid_keys.add("sk-good")
    assert answer.status_code == 400
    assert "rejected the OPENROUTER API key (401)" in answer.json()["message"]
