"""`POST /api/explanation/generate`: each explainer asks the LLM with the examples it should,
through the real `openai` client, and saves the explanation for the user."""

from __future__ import annotations

from typing import Any

import pytest

from bench.fake_llm import FakeLLM, Reply
from features.models import Explanation
from neuronpedia_site import llm_keys
from tests.autointerp.features import MODEL_ID, SOURCE_ID, dinosaur_feature, example_tokens
from tests.support.accounts import Account
from tests.support.worker_processes import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/explanation/generate"


def generate(account: Account, explanation_type: str, model: str = "gpt-4o-mini") -> Any:
    body = {
        "modelId": MODEL_ID,
        "layer": SOURCE_ID,
        "index": 7,
        "explanationType": explanation_type,
        "explanationModelName": model,
    }
    return account.client().post(URL, body, format="json")


@pytest.mark.parametrize(
    ("explanation_type", "reply", "saved", "shown"),
    [
        ("oai_token-act-pair", "dinosaur names.", "dinosaur names.", 10),
        (
            "np_max-act-logits",
            "Method 1 succeeds: all are triceratops.\nExplanation: triceratops.",
            "triceratops",
            10,
        ),
        (
            "np_max-act",
            "Method 1 fails: no.\nMethod 2 succeeds.\nExplanation: fossils",
            "fossils",
            10,
        ),
        (
            "eleuther_acts_top20",
            "Step 1 ...\n[EXPLANATION]: Dinosaur fossil finds",
            "Dinosaur fossil finds",
            12,
        ),
    ],
)
def test_each_explainer_sends_its_examples_and_saves_the_reply(
    worker: WorkerProcess,
    llm: FakeLLM,
    alice: Account,
    config_rows: None,
    explanation_type: str,
    reply: str,
    saved: str,
    shown: int,
) -> None:
    dinosaur_feature(count=12)
    llm_keys.save_user_key(alice.user, "OPENROUTER", "sk-good")
    llm.queue(Reply(content=reply))

    answer = generate(alice, explanation_type)

    assert answer.status_code == 200, answer.json()
    assert answer.json()["explanation"]["description"] == saved
    row = Explanation.objects.get(type_name_id=explanation_type)
    assert (row.description, row.author_id, row.triggered_by_user_id) == (
        saved,
        alice.user.id,
        alice.user.id,
    )
    assert row.explanation_model_name_id == "gpt-4o-mini"
    (request,) = llm.chats()
    assert request.authorization == "Bearer sk-good"  # her OpenRouter key, decrypted
    assert request.body["model"] == "openai/gpt-4o-mini"  # the OpenRouter id
    prompt = request.last_user
    # the top examples by max activation, each text once, and none below them
    sent = [i for i in range(12) if f" find{i}" in prompt or f"find{i}\t" in prompt]
    assert sent == list(range(shown))
    assert prompt.count("find3") == 1
    if explanation_type == "oai_token-act-pair":
        assert "\n triceratops\t12\n" in prompt and "<start>" in prompt
    if explanation_type == "np_max-act-logits":
        assert (
            "<TOP_POSITIVE_LOGITS>\n\nhorns\nfossil\nJurassic\n\n</TOP_POSITIVE_LOGITS>" in prompt
        )
        assert "<TOKENS_AFTER_MAX_ACTIVATING_TOKEN>\n\nwas\nwas" in prompt
    if explanation_type in ("np_max-act-logits", "np_max-act"):
        assert "<MAX_ACTIVATING_TOKENS>\n\ntriceratops\n" in prompt
        assert "".join(example_tokens(0)) in prompt
    if explanation_type == "eleuther_acts_top20":
        assert "Fossil find0 of a<< triceratops>> was announced" in prompt


def test_a_second_explanation_of_the_same_type_and_model_is_refused(
    worker: WorkerProcess, llm: FakeLLM, alice: Account, config_rows: None
) -> None:
    dinosaur_feature()
    llm_keys.save_user_key(alice.user, "OPENROUTER", "sk-good")
    assert generate(alice, "np_max-act").status_code == 200
    again = generate(alice, "np_max-act")
    assert again.status_code == 400
    assert (
        again.json()["message"]
        == "An auto-interp with this explanation type and model already exists."
    )
    assert len(llm.chats()) == 1


def test_the_users_own_provider_key_goes_to_the_providers_endpoint(
    worker: WorkerProcess, llm: FakeLLM, alice: Account, config_rows: None
) -> None:
    dinosaur_feature()
    llm_keys.save_user_key(alice.user, "OPENAI", "sk-good")
    llm.queue(Reply(content="dinosaurs"))
    assert generate(alice, "oai_token-act-pair").status_code == 200
    assert llm.chats()[0].body["model"] == "gpt-4o-mini"  # OpenAI's own name, not OpenRouter's


@pytest.mark.parametrize(
    ("explanation_type", "model", "message"),
    [
        ("oai_token-act-pair", "gpt-4o-mini", "No auto-interp key found for user."),
        ("eleuther_acts_top20", "gpt-4o-mini", "This autointerp type requires an OpenRouter key."),
        ("made-up", "gpt-4o-mini", "Unsupported explanation type"),
        ("np_offline-max-act", "gpt-4o-mini", "Unsupported explanation type"),
        ("np_max-act", "made-up", "Unsupported explanation model"),
    ],
)
def test_refusals_send_nothing(
    worker: WorkerProcess,
    llm: FakeLLM,
    alice: Account,
    config_rows: None,
    explanation_type: str,
    model: str,
    message: str,
) -> None:
    dinosaur_feature()
    answer = generate(alice, explanation_type, model)
    assert answer.status_code == 400
    assert answer.json()["message"] == message
    assert llm.requests == []
    assert not Explanation.objects.exists()


def test_closed_to_anonymous_callers_and_hidden_features(
    anon: Any, alice: Account, config_rows: None
) -> None:
    from features.models import Source, Visibility

    dinosaur_feature()
    assert anon.post(URL, {}, format="json").status_code == 401
    Source.objects.update(visibility=Visibility.PRIVATE)
    llm_keys.save_user_key(alice.user, "OPENROUTER", "sk-good")
    assert generate(alice, "np_max-act").status_code == 404
