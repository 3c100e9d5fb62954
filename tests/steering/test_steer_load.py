"""POST /api/steer-load: a saved result with what produced it."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from features.models import Visibility
from steering.plan import SteerFeature
from tests.support.accounts import Account
from tests.support.factories import make_explanation, make_feature, make_model, make_source
from tests.support.saved_steering import MESSAGES, save_chat, save_completion
from tests.support.vectors import make_vector

URL = "/api/steer-load"


@pytest.fixture
def model(db: None) -> Any:
    model = make_model("load-model", layers=4, dimension=8)
    make_explanation(make_feature(make_source(model, "1-res-demo"), 5), "fossils and bones")
    return model


def test_it_loads_a_chat_result_with_its_features(anon: APIClient, model: Any) -> None:
    rows = save_chat(model, [SteerFeature("load-model", "1-res-demo", "5", 8.0)])
    response = anon.post(URL, {"steerOutputId": rows["STEERED"].id}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == rows["STEERED"].id
    assert body["shareUrl"] == f"{settings.SITE_URL}/steer/{rows['STEERED'].id}"
    assert body["isChat"] is True and body["modelId"] == "load-model"
    assert body["STEERED"]["chatTemplate"][-1] == {"role": "assistant", "content": "Dinosaurs!"}
    assert body["DEFAULT"]["raw"].endswith("Hello.")
    assert body["steeredChatMessages"] == MESSAGES == body["defaultChatMessages"]
    assert body["settings"]["strength_multiplier"] == 2
    [feature] = body["features"]
    assert (feature["layer"], feature["index"], feature["strength"]) == ("1-res-demo", "5", 8.0)
    assert feature["neuron"]["explanations"][0]["description"] == "fossils and bones"
    assert feature["neuron"]["hasVector"] is False


def test_loading_the_default_row_finds_its_steered_partner(anon: APIClient, model: Any) -> None:
    rows = save_completion(model, [SteerFeature("load-model", "1-res-demo", "5", 8.0)])
    body = anon.post(URL, {"steerOutputId": rows["DEFAULT"].id}, format="json").json()
    assert (body["STEERED"], body["DEFAULT"]) == (" upon a fossil", " upon a time")
    assert body["id"] == rows["STEERED"].id
    assert body["inputText"] == "Once" and body["outputTextIncludesPrompt"] is False
    assert body["steeredLogProbs"][0]["token"] == " upon"


def test_vector_features_carry_their_vector(anon: APIClient, alice: Account, model: Any) -> None:
    vector = make_vector(alice.user, model_id="load-model")
    rows = save_completion(
        model,
        [
            SteerFeature(
                "load-model",
                vector.layer,
                vector.index,
                3.0,
                tuple(vector.vector),
                vector.hook_name,
            )
        ],
    )
    [feature] = anon.post(URL, {"steerOutputId": rows["STEERED"].id}, format="json").json()[
        "features"
    ]
    assert feature["neuron"]["vector"] == vector.vector
    assert feature["neuron"]["vectorLabel"] == "dinosaurs"


def test_unknown_and_hidden_results_are_404(anon: APIClient, bob: Account, db: None) -> None:
    assert anon.post(URL, {"steerOutputId": "nope"}, format="json").status_code == 404
    hidden = make_model("hidden", visibility=Visibility.PRIVATE, creator=bob.user)
    rows = save_completion(hidden, [])
    assert anon.post(URL, {"steerOutputId": rows["DEFAULT"].id}, format="json").status_code == 404
    assert (
        bob.client().post(URL, {"steerOutputId": rows["DEFAULT"].id}, format="json").status_code
        == 200
    )


def test_a_missing_id_is_400(anon: APIClient) -> None:
    assert anon.post(URL, {}, format="json").status_code == 400
