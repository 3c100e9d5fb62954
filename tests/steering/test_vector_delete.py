"""POST /api/vector/delete: owners only; "Success" whatever happened, as Neuronpedia answers."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from features.models import Activation, Feature
from tests.support.accounts import Account
from tests.support.factories import make_activation, make_model
from tests.support.vectors import DIM, make_vector

URL = "/api/vector/delete"


@pytest.fixture
def model(db: None) -> Any:
    return make_model("vec-model", layers=4, dimension=DIM)


def _key(vector: Any) -> dict[str, str]:
    return {"modelId": vector.model_id, "source": vector.layer, "index": vector.index}


def test_it_deletes_the_owners_vector_and_its_activations(alice: Account, model: Any) -> None:
    vector = make_vector(alice.user)
    make_activation(vector, [0.0, 2.0], creator=alice.user)
    response = alice.client().post(URL, _key(vector), format="json")
    assert response.status_code == 200
    assert response.json() == {"message": "Success"}
    assert not Feature.objects.filter(key=vector.key).exists()
    assert not Activation.objects.exists()


def test_another_users_vector_cannot_be_deleted(alice: Account, bob: Account, model: Any) -> None:
    vector = make_vector(alice.user)
    response = bob.client().post(URL, _key(vector), format="json")
    assert response.status_code == 200 and response.json() == {"message": "Success"}
    assert Feature.objects.filter(key=vector.key, has_vector=True).exists()


def test_sae_features_are_never_deleted(alice: Account, model: Any) -> None:
    from tests.support.factories import make_feature, make_source

    feature = make_feature(make_source(model, "1-res-jb"), 3, creator=alice.user)
    alice.client().post(
        URL, {"modelId": "vec-model", "source": "1-res-jb", "index": "3"}, format="json"
    )
    assert Feature.objects.filter(key=feature.key).exists()


def test_it_requires_an_api_key(anon: APIClient, alice: Account, model: Any) -> None:
    vector = make_vector(alice.user)
    assert anon.post(URL, _key(vector), format="json").status_code == 401
    assert Feature.objects.filter(key=vector.key).exists()


def test_missing_fields_are_400(alice: Account, model: Any) -> None:
    response = alice.client().post(URL, {"modelId": "vec-model"}, format="json")
    assert response.status_code == 400
    assert "source" in response.json()["message"] and "index" in response.json()["message"]
