"""POST /api/vector/new: validation, storage under the neuronpedia-resid sets, exact values."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from features.models import Feature, Source, SourceSet, Visibility
from neuronpedia_format.users import BOT_USER_ID
from tests.support.accounts import Account
from tests.support.factories import make_model

URL = "/api/vector/new"
DIM = 8
VALUES = [0.1, -0.2, 0, 3, 1e-17, 0.30000000000000004, -7.25, 123456.789012345]


@pytest.fixture
def model(db: None) -> Any:
    return make_model("vec-model", layers=4, dimension=DIM)


def _body(**overrides: Any) -> dict[str, Any]:
    body = {
        "modelId": "vec-model",
        "layerNumber": 2,
        "hookType": "hook_resid_pre",
        "vector": VALUES,
        "vectorDefaultSteerStrength": 44,
        "vectorLabel": "dinosaurs",
    }
    return {**body, **overrides}


def test_it_stores_the_vector_as_a_feature_of_a_bot_owned_unlisted_source(
    alice: Account, model: Any
) -> None:
    response = alice.client().post(URL, _body(), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    vector = body["vector"]
    index = vector["index"]
    assert isinstance(index, str) and 90_000_000 <= int(index) <= 179_999_999
    assert body["message"] == "Success"
    assert body["url"] == f"{settings.SITE_URL}/vec-model/2-neuronpedia-resid-pre/{index}"
    assert vector | {"createdAt": None} == {
        "modelId": "vec-model",
        "source": "2-neuronpedia-resid-pre",
        "index": index,
        "label": "dinosaurs",
        "createdAt": None,
        "defaultSteerStrength": 44,
        "hookName": "blocks.2.hook_resid_pre",
        "values": VALUES,
    }
    feature = Feature.objects.get(model=model, layer="2-neuronpedia-resid-pre", index=index)
    assert feature.has_vector and feature.creator_id == alice.user.id
    assert feature.vector == VALUES  # float64 storage: every value back exactly
    assert feature.source_set_name == "neuronpedia-resid-pre"
    source = Source.objects.get(model=model, source_id="2-neuronpedia-resid-pre")
    source_set = SourceSet.objects.get(model=model, name="neuronpedia-resid-pre")
    for row in (source, source_set):
        assert row.visibility == Visibility.UNLISTED and row.creator_id == BOT_USER_ID


def test_it_reuses_the_source_and_draws_a_new_index_each_time(alice: Account, model: Any) -> None:
    first = alice.client().post(URL, _body(hookType="hook_resid_post"), format="json").json()
    second = alice.client().post(URL, _body(hookType="hook_resid_post"), format="json").json()
    assert first["vector"]["source"] == second["vector"]["source"] == "2-neuronpedia-resid-post"
    assert first["vector"]["index"] != second["vector"]["index"]
    assert Source.objects.filter(model=model, set_name="neuronpedia-resid-post").count() == 1
    assert first["vector"]["hookName"] == "blocks.2.hook_resid_post"


def test_it_requires_an_api_key(anon: APIClient, model: Any) -> None:
    response = anon.post(URL, _body(), format="json")
    assert response.status_code == 401
    assert "x-api-key" in response.json()["message"]
    assert not Feature.objects.filter(has_vector=True).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"modelId": "nope"}, "Model not found"),
        ({"modelId": None}, "modelId"),
        ({"layerNumber": 4}, "layerNumber 4 is too large"),
        ({"layerNumber": -1}, "layerNumber"),
        ({"layerNumber": "two"}, "layerNumber"),
        ({"hookType": "hook_z"}, "hookType"),
        ({"hookType": "resid-pre"}, "hookType"),
        ({"vector": VALUES[:-1]}, "has 7 values; vec-model has dimension 8"),
        ({"vector": [0.0] * 24577}, "at most 24576"),
        ({"vector": []}, "vector"),
        ({"vector": "0.1,0.2"}, "vector"),
        ({"vector": [*VALUES[:-1], "1.0"]}, "Item 7 is not a number"),
        ({"vector": [*VALUES[:-1], True]}, "Item 7 is not a number"),
        ({"vector": [*VALUES[:-1], None]}, "Item 7 is not a number"),
        ({"vectorDefaultSteerStrength": 300.5}, "vectorDefaultSteerStrength"),
        ({"vectorDefaultSteerStrength": -301}, "vectorDefaultSteerStrength"),
        ({"vectorDefaultSteerStrength": None}, "vectorDefaultSteerStrength"),
        ({"vectorDefaultSteerStrength": "10"}, "vectorDefaultSteerStrength"),
        ({"vectorLabel": ""}, "vectorLabel"),
    ],
)
def test_it_rejects_bad_fields(
    alice: Account, model: Any, overrides: dict[str, Any], message: str
) -> None:
    body = {
        k: v
        for k, v in _body(**overrides).items()
        if v is not None or k == "vectorDefaultSteerStrength"
    }
    response = alice.client().post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert message in response.json()["message"]
    assert response.json()["error"] == response.json()["message"]
    assert not Feature.objects.filter(has_vector=True).exists()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_it_rejects_non_finite_json_literals(alice: Account, model: Any, literal: str) -> None:
    raw = (
        '{"modelId":"vec-model","layerNumber":0,"hookType":"hook_resid_pre","vector":['
        + ",".join(["0.5"] * (DIM - 1) + [literal])
        + '],"vectorDefaultSteerStrength":1,"vectorLabel":"x"}'
    )
    response = alice.client().post(URL, raw, content_type="application/json")
    assert response.status_code == 400
    if literal == "1e400":  # valid JSON, but it parses to infinity
        assert "Item 7 is not a finite number" in response.json()["message"]
    assert not Feature.objects.filter(has_vector=True).exists()


def test_it_accepts_integers_and_the_strength_bounds(alice: Account, model: Any) -> None:
    body = _body(vector=list(range(DIM)), vectorDefaultSteerStrength=-300)
    response = alice.client().post(URL, body, format="json")
    assert response.status_code == 200
    assert response.json()["vector"]["values"] == [float(i) for i in range(DIM)]
    assert response.json()["vector"]["defaultSteerStrength"] == -300


def test_it_rejects_a_model_without_a_dimension(alice: Account, db: None) -> None:
    make_model("no-dim", layers=2, dimension=None)
    response = alice.client().post(URL, _body(modelId="no-dim", layerNumber=0), format="json")
    assert response.status_code == 400
    assert "no dimension" in response.json()["message"]


def test_it_hides_another_users_private_model(alice: Account, bob: Account, db: None) -> None:
    make_model(
        "bobs-model", layers=2, dimension=DIM, visibility=Visibility.PRIVATE, creator=bob.user
    )
    response = alice.client().post(URL, _body(modelId="bobs-model", layerNumber=0), format="json")
    assert response.status_code == 400
    assert "Model not found" in response.json()["message"]
    assert (
        bob.client()
        .post(URL, _body(modelId="bobs-model", layerNumber=0), format="json")
        .status_code
        == 200
    )
