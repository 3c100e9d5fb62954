"""`/api/explanation/new|export|generate|score` reach their own views instead of
`explanation/<id>` (which answered them 405), and unknown API paths are a JSON 404."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

DATASETS = "https://neuronpedia-datasets.s3.us-east-1.amazonaws.com/index.html?prefix=v1/"


def test_new_is_inactive_as_on_neuronpedia(alice: Any, anon: APIClient) -> None:
    body = {"feature": {"modelId": "gpt2-small", "layer": "6-res-jb", "index": 1}}
    assert anon.post("/api/explanation/new", body, format="json").status_code == 401
    response = alice.client().post("/api/explanation/new", body, format="json")
    assert response.status_code == 200
    assert response.json() == {"message": "This endpoint is not currently active."}


def test_export_points_to_the_datasets(anon: APIClient) -> None:
    response = anon.get("/api/explanation/export")
    assert response.status_code == 400
    data = response.json()
    assert data["newUrl"] == DATASETS
    assert data["error"] == data["message"] and "has been removed" in data["message"]
    assert anon.post("/api/explanation/export").status_code == 405


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/nope"),
        ("post", "/api/nope"),
        ("get", "/api/explanation/x/nope"),
        ("post", "/api/explanation/score/x/y/z"),
        ("get", "/api/feature/gpt2-small/6-res-jb"),
        ("post", "/api/model"),
        ("get", "/api/"),
        ("get", "/api"),
    ],
)
def test_unknown_api_paths_are_a_json_404(anon: APIClient, method: str, path: str) -> None:
    response = getattr(anon, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "Not found.", "message": "Not found."}
