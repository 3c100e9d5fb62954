"""GET /api/feature-search: the steer page's feature picker."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from features.models import Visibility
from tests.support.accounts import Account
from tests.support.factories import make_explanation, make_feature, make_model, make_source
from tests.support.vectors import make_vector

URL = "/api/feature-search"


@pytest.fixture
def model(db: None) -> Any:
    model = make_model("search-model", layers=4, dimension=8)
    source = make_source(model, "1-res-demo")
    make_explanation(make_feature(source, 5), "dinosaurs and fossils")
    make_explanation(make_feature(source, 6), "cats")
    hidden = make_source(model, "2-hidden-set", visibility=Visibility.PRIVATE)
    make_explanation(make_feature(hidden, 7), "dinosaurs, secretly")
    return model


def _search(api: APIClient, q: str, model_id: str = "search-model") -> list[dict[str, Any]]:
    response = api.get(URL, {"modelId": model_id, "q": q})
    assert response.status_code == 200
    return response.json()["results"]


def test_it_finds_features_by_explanation(anon: APIClient, model: Any) -> None:
    assert _search(anon, "DINOSAUR") == [
        {
            "modelId": "search-model",
            "layer": "1-res-demo",
            "index": "5",
            "description": "dinosaurs and fossils",
            "hasVector": False,
            "vectorLabel": None,
            "defaultStrength": 10.0,
        }
    ]


def test_it_finds_features_by_id_or_index(anon: APIClient, model: Any) -> None:
    assert [r["index"] for r in _search(anon, "1-res-demo/6")] == ["6"]
    assert _search(anon, "1-res-demo/6")[0]["description"] == "cats"
    assert [r["index"] for r in _search(anon, "5")] == ["5"]
    assert _search(anon, "2-hidden-set/7") == []


def test_it_finds_only_the_users_own_vectors(alice: Account, bob: Account, model: Any) -> None:
    make_vector(alice.user, model_id="search-model", label="my dinosaur vector")
    make_vector(bob.user, model_id="search-model", label="bob's dinosaur vector")
    results = _search(alice.client(), "dinosaur vector")
    assert [(r["description"], r["hasVector"], r["defaultStrength"]) for r in results] == [
        ("my dinosaur vector", True, 44.0)
    ]
    assert _search(APIClient(), "dinosaur vector") == []


def test_unknown_models_and_empty_queries_find_nothing(anon: APIClient, model: Any) -> None:
    assert _search(anon, "dinosaur", model_id="nope") == []
    assert _search(anon, "  ") == []
