"""`POST /api/explanation/score` and `/score/{id}/delete`: every scorer's examples, score and
stored `jsonDetails` shape, through the real `openai` client (LLM scorers) or the local
embedding model (`eleuther_embedding`)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bench.fake_llm import FakeLLM, Recorded, Reply
from features.models import ExplanationScore
from neuronpedia_site import llm_keys
from tests.autointerp.features import dinosaur_feature
from tests.support.accounts import Account
from tests.support.factories import make_explanation
from tests.support.worker_processes import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/explanation/score"


def knows_dinosaurs(request: Recorded) -> Reply:
    """A scorer LLM that says yes exactly where the text (or its marked part) is about
    triceratops."""
    prompt = request.last_user
    if prompt.startswith("{"):  # recall_alt: one JSON example
        tokens = "".join(a["token"] for a in json.loads(prompt)["activations"])
        return Reply(content=json.dumps({"match": "triceratops" in tokens, "reason": "r"}))
    examples = re.findall(r"^Example \d+: (.*)$", prompt, re.MULTILINE)
    fuzz = any("<<" in e for e in examples)
    marked = [" ".join(re.findall(r"<<(.*?)>>", e)) if fuzz else e for e in examples]
    answers = [int("triceratops" in m) for m in marked]
    return Reply(content=json.dumps(answers))


def score(
    account: Account, explanation_id: str, scorer_type: str, model: str | None = "gpt-4o-mini"
) -> Any:
    body = {"explanationId": explanation_id, "scorerType": scorer_type, "scorerModel": model}
    return account.client().post(URL, body, format="json")


@pytest.fixture
def explained(config_rows: None, alice: Account) -> str:
    feature = dinosaur_feature(count=12, zeros=3)
    llm_keys.save_user_key(alice.user, "OPENROUTER", "sk-good")
    return make_explanation(feature, "triceratops fossils").id


def test_recall_alt(worker: WorkerProcess, llm: FakeLLM, alice: Account, explained: str) -> None:
    llm.default = knows_dinosaurs
    answer = score(alice, explained, "recall_alt")
    assert answer.status_code == 200, answer.json()
    saved = ExplanationScore.objects.get()
    assert answer.json()["score"]["id"] == saved.id
    assert saved.value == 1.0  # 12 top texts matched, 3 zero texts and 5 decoys did not
    details = json.loads(saved.json_details)
    assert [len(details[k]) for k in ("top", "zero", "decoy")] == [12, 3, 5]
    assert max(details["top"][0]["values"]) == 10  # rescaled to 0-10
    assert {"id", "tokens", "values", "match", "reason", "messages"} <= set(details["top"][0])
    assert len(llm.chats()) == 20
    assert all(r.body["response_format"] == {"type": "json_object"} for r in llm.chats())
    assert (saved.initiated_by_user_id, saved.explanation_score_model_name_id) == (
        alice.user.id,
        "gpt-4o-mini",
    )


@pytest.mark.parametrize("scorer_type", ["eleuther_recall", "eleuther_fuzz"])
def test_detection_and_fuzzing(
    worker: WorkerProcess, llm: FakeLLM, alice: Account, explained: str, scorer_type: str
) -> None:
    llm.default = knows_dinosaurs
    answer = score(alice, explained, scorer_type)
    assert answer.status_code == 200, answer.json()
    saved = ExplanationScore.objects.get(explanation_score_type_name_id=scorer_type)
    assert saved.value == 1.0
    details = json.loads(saved.json_details)
    assert len(details) == 15
    assert set(details[0]) == {
        "text", "distance", "ground_truth", "prediction", "highlighted", "correct",
        "probability", "conditional_probability", "activations", "str_tokens",
    }  # fmt: skip
    assert sorted(d["ground_truth"] for d in details) == [False] * 3 + [True] * 12
    assert all(d["highlighted"] == (scorer_type == "eleuther_fuzz") for d in details)
    assert len(llm.chats()) == 3  # five texts per request
    texts = "\n".join(r.last_user for r in llm.chats())
    assert ("<< triceratops>>" in texts) == (scorer_type == "eleuther_fuzz")
    assert "triceratops fossils" in texts


def test_a_wrong_answer_lowers_the_score(
    worker: WorkerProcess, llm: FakeLLM, alice: Account, explained: str
) -> None:
    llm.default = lambda request: Reply(content=json.dumps([1] * 5))  # says yes to everything
    answer = score(alice, explained, "eleuther_recall")
    assert answer.json()["score"]["value"] == 0.5  # recall 1, specificity 0


def test_embedding_ranks_the_right_explanation_above_a_wrong_one(
    worker: WorkerProcess, llm: FakeLLM, alice: Account, config_rows: None
) -> None:
    feature = dinosaur_feature(count=12, zeros=3)
    right = make_explanation(feature, "dinosaur fossil discoveries")
    wrong = make_explanation(feature, "stock market prices")
    values = {}
    for explanation in (right, wrong):
        answer = score(alice, explanation.id, "eleuther_embedding", model=None)
        assert answer.status_code == 200, answer.json()
        values[explanation.description] = answer.json()["score"]["value"]
    assert values["dinosaur fossil discoveries"] > values["stock market prices"]
    saved = ExplanationScore.objects.get(explanation=right)
    assert saved.explanation_score_model_name_id == "all-minilm-l6-v2"
    detail = json.loads(saved.json_details)[0]
    assert set(detail) == {"text", "distance", "similarity", "activations", "str_tokens"}
    assert llm.requests == []  # no LLM and no key needed


def test_scorers_need_texts_of_both_kinds(
    worker: WorkerProcess, alice: Account, config_rows: None
) -> None:
    explanation = make_explanation(dinosaur_feature(zeros=0), "dinosaurs")
    answer = score(alice, explanation.id, "eleuther_embedding", model=None)
    assert answer.status_code == 400
    assert "both activating and non-activating" in answer.json()["message"]
    assert not ExplanationScore.objects.exists()


@pytest.mark.parametrize(
    ("scorer_type", "model", "message"),
    [
        ("made-up", "gpt-4o-mini", "Unsupported explanation score type"),
        ("recall_alt", "made-up", "Unsupported explanation score model"),
        ("recall_alt", None, "Unsupported explanation score model"),
    ],
)
def test_refusals(
    alice: Account, explained: str, llm: FakeLLM, scorer_type: str, model: str | None, message: str
) -> None:
    answer = score(alice, explained, scorer_type, model)
    assert (answer.status_code, answer.json()["message"]) == (400, message)
    assert llm.requests == []


def test_llm_scorers_need_an_openrouter_key(bob: Account, explained: str) -> None:
    answer = score(bob, explained, "eleuther_fuzz")
    assert (answer.status_code, answer.json()["message"]) == (
        400,
        "This autointerp type requires an OpenRouter key.",
    )


def test_the_same_method_and_model_is_scored_once(
    worker: WorkerProcess, llm: FakeLLM, alice: Account, explained: str
) -> None:
    llm.default = knows_dinosaurs
    assert score(alice, explained, "eleuther_recall").status_code == 200
    again = score(alice, explained, "eleuther_recall")
    assert (again.status_code, again.json()["message"]) == (
        400,
        "Explanation score using this same method and model already exists",
    )


def test_delete_a_score(
    worker: WorkerProcess, llm: FakeLLM, alice: Account, bob: Account, explained: str, anon: Any
) -> None:
    llm.default = knows_dinosaurs
    score_id = score(alice, explained, "eleuther_recall").json()["score"]["id"]
    url = f"/api/explanation/score/{score_id}/delete"
    assert anon.post(url).status_code == 401
    assert bob.client().post(url).status_code == 403
    assert alice.client().get(url).status_code == 405
    deleted = alice.client().post(url)
    assert deleted.json() == {"message": "Explanation score deleted"}
    assert not ExplanationScore.objects.exists()
    assert alice.client().post(url).status_code == 404
