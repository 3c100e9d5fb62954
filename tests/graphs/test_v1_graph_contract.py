"""The graph server's contract under /v1/graph/: the /v1 secret rule, validation, and 503
naming the queue for a model no worker serves."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
SECRET: dict[str, Any] = {"HTTP_X_SECRET_KEY": settings.INFERENCE_SECRET}
PATHS = ("/v1/graph/generate-graph", "/v1/graph/forward-pass", "/v1/graph/steer")


@pytest.mark.parametrize("path", PATHS)
def test_it_needs_the_secret(anon: APIClient, path: str) -> None:
    answer = anon.post(path, {"model_id": "graph-lm"}, format="json")
    assert answer.status_code == 401
    assert anon.get("/v1/graph/check-busy").status_code == 401


def test_generate_graph_validates_and_names_the_queue(anon: APIClient, graph_model: Any) -> None:
    body = {"model_id": "graph-lm", "slug_identifier": "x y", "prompt": "The cat"}
    answer = anon.post("/v1/graph/generate-graph", body, format="json", **SECRET)
    assert answer.status_code == 400 and "slug_identifier" in answer.json()["message"]
    body["slug_identifier"] = "xy"
    answer = anon.post("/v1/graph/generate-graph", body, format="json", **SECRET)
    assert answer.status_code == 503
    assert "inference.graph-lm" in answer.json()["message"]
    no_prompt = {"model_id": "graph-lm", "slug_identifier": "xy"}
    answer = anon.post("/v1/graph/generate-graph", no_prompt, format="json", **SECRET)
    assert answer.status_code == 400


def test_check_busy_is_true_without_a_graph_worker(anon: APIClient) -> None:
    assert anon.get("/v1/graph/check-busy", **SECRET).json() == {"busy": True}
