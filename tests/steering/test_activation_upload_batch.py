"""POST /api/activation/upload-batch: example texts for one's own vector."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from features.models import Activation, Feature
from tests.support.accounts import Account
from tests.support.factories import make_model
from tests.support.vectors import DIM, make_vector

URL = "/api/activation/upload-batch"


@pytest.fixture
def model(db: None) -> Any:
    return make_model("vec-model", layers=4, dimension=DIM)


def _body(vector: Any, activations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "modelId": vector.model_id,
        "source": vector.layer,
        "index": vector.index,
        "activations": activations,
    }


def test_it_stores_activations_with_max_min_and_argmax(alice: Account, model: Any) -> None:
    vector = make_vector(alice.user)
    acts = [
        {"tokens": ["The", " T", "-rex"], "values": [0, 2.5, 1]},
        {"tokens": ["a", "b"], "values": [-1.0, 0.25]},
    ]
    response = alice.client().post(URL, _body(vector, acts), format="json")
    assert response.status_code == 200
    assert response.json() == {"message": "2 activations created."}
    rows = sorted(
        Activation.objects.filter(layer=vector.layer, index=vector.index), key=lambda a: a.max_value
    )
    assert [(a.max_value, a.max_value_token_index, a.min_value) for a in rows] == [
        (0.25, 1, -1.0),
        (2.5, 1, 0.0),
    ]
    assert rows[1].tokens == ["The", " T", "-rex"] and rows[1].creator_id == alice.user.id
    assert Feature.objects.get(key=vector.key).max_act_approx == 2.5


def test_only_the_owner_may_upload(alice: Account, bob: Account, model: Any) -> None:
    vector = make_vector(alice.user)
    response = bob.client().post(
        URL, _body(vector, [{"tokens": ["a"], "values": [1]}]), format="json"
    )
    assert response.status_code == 403
    assert not Activation.objects.exists()


def test_an_unknown_vector_is_404(alice: Account, model: Any) -> None:
    vector = make_vector(alice.user)
    body = {**_body(vector, [{"tokens": ["a"], "values": [1]}]), "index": "90000000"}
    assert alice.client().post(URL, body, format="json").status_code == 404


@pytest.mark.parametrize(
    "activations",
    [
        [],
        [{"tokens": ["a", "b"], "values": [1]}],
        [{"tokens": [], "values": []}],
        [{"tokens": ["a"], "values": ["1"]}],
    ],
)
def test_bad_activations_are_400(
    alice: Account, model: Any, activations: list[dict[str, Any]]
) -> None:
    vector = make_vector(alice.user)
    assert alice.client().post(URL, _body(vector, activations), format="json").status_code == 400
    assert not Activation.objects.exists()


def test_it_requires_an_api_key(anon: APIClient, alice: Account, model: Any) -> None:
    vector = make_vector(alice.user)
    assert (
        anon.post(URL, _body(vector, [{"tokens": ["a"], "values": [1]}]), format="json").status_code
        == 401
    )
