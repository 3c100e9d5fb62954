"""POST /api/feature/upload-batch."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rest_framework.test import APIClient

from features.models import (
    Activation,
    Explanation,
    ExplanationModelType,
    ExplanationType,
    Feature,
    Model,
    Source,
    SourceSet,
    Visibility,
)
from neuronpedia_format.users import BOT_USER_ID
from tests.support.factories import make_model

pytestmark = pytest.mark.django_db
URL = "/api/feature/upload-batch"


@pytest.fixture
def alices_set(alice) -> SourceSet:
    model = make_model("my-model", visibility=Visibility.UNLISTED, layers=4, creator=alice.user)
    source_set = SourceSet.objects.create(
        model=model, name="my-saes", visibility=Visibility.UNLISTED, creator=alice.user
    )
    Source.objects.create(
        model=model,
        source_id="0-my-saes",
        set_name="my-saes",
        creator=alice.user,
        visibility=Visibility.UNLISTED,
    )
    ExplanationType.objects.create(name="human")
    ExplanationModelType.objects.create(name="gpt-4o-mini")
    return source_set


def _body(**overrides: Any) -> dict[str, Any]:
    body = {
        "modelId": "My-Model",  # lowercased, as upstream
        "source": "0-my-saes",
        "features": [
            {
                "index": 3,
                "density": 0.01,
                "topLogits": [{"token": " dino", "value": 1.5}],
                "bottomLogits": [{"token": " tax", "value": -0.5}],
                "explanations": [
                    {"text": "dinosaurs", "methodName": "Human", "modelName": "gpt-4o-mini"}
                ],
                "activations": [
                    {
                        "tokens": ["a", "b"],
                        "values": [0.5, 2.5],
                        "quantileMax": 3.0,
                        "quantileMin": 2.0,
                        "quantileFraction": 0.5,
                    },
                    {"tokens": ["c"], "values": [1.0]},
                ],
            },
            {"index": 4, "activations": [{"tokens": ["x"], "values": [-1.0]}]},
        ],
    }
    body.update(overrides)
    return body


def test_it_maps_the_upload_to_neuronpedias_columns(alice, alices_set: SourceSet) -> None:
    response = alice.client().post(URL, _body(), format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"message": "2 features created."}
    feature = Feature.objects.get(model_id="my-model", layer="0-my-saes", index="3")
    assert (feature.frac_nonzero, feature.max_act_approx, feature.creator_id) == (
        0.01,
        2.5,
        alice.user.id,
    )
    assert (feature.pos_str, feature.pos_values, feature.neg_str, feature.neg_values) == (
        [" dino"],
        [1.5],
        [" tax"],
        [-0.5],
    )
    assert feature.source_set_name == "my-saes"
    acts = Activation.objects.filter(index="3").order_by("-max_value")
    top = acts[0]
    assert (top.max_value, top.max_value_token_index, top.min_value) == (2.5, 1, 0.5)
    assert (top.bin_max, top.bin_min, top.bin_contains) == (3.0, 2.0, 0.5)
    assert (top.creator_id, top.data_source, top.data_index) == (
        BOT_USER_ID,
        "User alice",
        alice.user.id,
    )
    explanation = Explanation.objects.get(index="3")
    assert (
        explanation.description,
        explanation.type_name_id,
        explanation.explanation_model_name_id,
    ) == ("dinosaurs", "human", "gpt-4o-mini")
    assert explanation.author_id == alice.user.id
    empty = Feature.objects.get(index="4")
    assert (empty.frac_nonzero, empty.max_act_approx) == (-1, 0)


def test_uploaded_features_show_on_the_feature_endpoint(alice, alices_set: SourceSet) -> None:
    alice.client().post(URL, _body(), format="json")
    body = APIClient().get("/api/feature/my-model/0-my-saes/3").json()
    assert [a["maxValue"] for a in body["activations"]] == [2.5, 1.0]
    assert [e["description"] for e in body["explanations"]] == ["dinosaurs"]


def test_uploading_again_replaces_the_users_rows(alice, alices_set: SourceSet) -> None:
    client = alice.client()
    client.post(URL, _body(), format="json")
    again = _body()
    again["features"][0]["density"] = 0.5
    assert client.post(URL, again, format="json").status_code == 200
    assert Activation.objects.filter(index="3").count() == 2
    assert Explanation.objects.filter(index="3").count() == 1
    assert Feature.objects.get(index="3").frac_nonzero == 0.5


def test_it_creates_a_missing_source_of_the_set(alice, alices_set: SourceSet) -> None:
    assert alice.client().post(URL, _body(source="2-my-saes"), format="json").status_code == 200
    source = Source.objects.get(model_id="my-model", source_id="2-my-saes")
    assert (source.set_name, source.creator_id, source.visibility) == (
        "my-saes",
        alice.user.id,
        "UNLISTED",
    )
    too_deep = alice.client().post(URL, _body(source="9-my-saes"), format="json")
    assert too_deep.status_code == 400 and too_deep.json()["message"].startswith("source:")
    not_ascii = alice.client().post(URL, _body(source="²-my-saes"), format="json")
    assert not_ascii.status_code == 400


def test_only_the_sets_creator_may_upload(bob, alices_set: SourceSet) -> None:
    response = bob.client().post(URL, _body(), format="json")
    assert response.status_code == 403
    assert not Feature.objects.exists()


def test_it_needs_a_key_and_an_existing_set(anon: APIClient, alice, alices_set: SourceSet) -> None:
    assert anon.post(URL, _body(), format="json").status_code == 401
    assert alice.client().post(URL, _body(source="0-other-set"), format="json").status_code == 404


def _with(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(_body())
    target: Any = body
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is KeyError:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_with("features", []), "features"),
        (
            _with(
                "features",
                [
                    {"index": i, "activations": [{"tokens": ["a"], "values": [1]}]}
                    for i in range(129)
                ],
            ),
            "features",
        ),
        (_with("features.1.index", 3), "features"),  # duplicate index
        (_with("features.0.index", -1), "index"),
        (_with("features.0.index", 10_000_001), "index"),
        (_with("features.0.density", 2), "density"),
        (_with("features.0.activations", []), "activations"),
        (_with("features.0.activations.0.values", [1.0]), "values"),  # tokens and values differ
        (_with("features.0.activations.0.tokens", ["a"] * 1025), "tokens"),
        (_with("features.0.activations.0.quantileFraction", 1.5), "quantileFraction"),
        (_with("features.0.topLogits", [{"token": "t", "value": 1}] * 21), "topLogits"),
        (_with("features.0.explanations", [{"text": ""}]), "text"),
        (_with("features.0.explanations", [{"text": "x" * 513}]), "text"),
        (_with("features.0.explanations", [{"text": "ok", "methodName": "nope"}]), "Method"),
        (_with("features.0.explanations", [{"text": "ok", "modelName": "nope"}]), "Model"),
        (_with("modelId", KeyError), "modelId"),
    ],
)
def test_it_validates_naming_the_field(
    alice, alices_set: SourceSet, body: dict, field: str
) -> None:
    response = alice.client().post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["message"]
    assert not Feature.objects.exists()
    assert Model.objects.filter(id="my-model").exists()
