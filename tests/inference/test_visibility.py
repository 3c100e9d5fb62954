"""Private models and sources of others look absent on every inference endpoint (404), and
their owner uses them; search-all has its own tests (test_search_all.py)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from features.models import Model, Source
from tests.support.inference import MODEL_ID, TEXT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("worker")]
PRIVATE_SOURCE = "1-res-demo"

# (path, body) of one request per endpoint that reads PRIVATE_SOURCE of MODEL_ID
REQUESTS: dict[str, tuple[str, dict[str, Any]]] = {
    "activation/new": (
        "/api/activation/new",
        {
            "feature": {"modelId": MODEL_ID, "layer": PRIVATE_SOURCE, "index": "3"},
            "customText": TEXT,
        },
    ),
    "activation/source": (
        "/api/activation/source",
        {"modelId": MODEL_ID, "source": PRIVATE_SOURCE, "customText": TEXT},
    ),
    "search-topk-by-token": (
        "/api/search-topk-by-token/",
        {"modelId": MODEL_ID, "source": PRIVATE_SOURCE, "text": TEXT, "numResults": 3},
    ),
    "cossim (as the feature)": (
        "/api/cossim",
        {
            "modelId": MODEL_ID,
            "source": PRIVATE_SOURCE,
            "index": "11",
            "targetModelId": MODEL_ID,
            "targetSourceId": "1-jr-demo",
        },
    ),
    "cossim (as the target)": (
        "/api/cossim",
        {
            "modelId": MODEL_ID,
            "source": "1-jr-demo",
            "index": "11",
            "targetModelId": MODEL_ID,
            "targetSourceId": PRIVATE_SOURCE,
        },
    ),
}


@pytest.fixture
def private_source(alice, tiny_model) -> Any:
    Source.objects.filter(model_id=MODEL_ID, source_id=PRIVATE_SOURCE).update(
        visibility="PRIVATE", creator_id=alice.user.id
    )
    return alice


@pytest.mark.parametrize("endpoint", REQUESTS)
def test_a_private_source_of_someone_else_is_404_and_its_owner_uses_it(
    anon: APIClient, bob, private_source, endpoint: str
) -> None:
    path, body = REQUESTS[endpoint]
    for stranger in (anon, bob.client()):
        response = stranger.post(path, body, format="json")
        assert response.status_code == 404, response.json()
        assert response.json()["error"] == f"Source not found: {PRIVATE_SOURCE}"
    owner = private_source.client().post(path, body, format="json")
    assert owner.status_code == 200, owner.json()


@pytest.mark.parametrize("endpoint", [*REQUESTS, "tokenize"])
def test_a_private_model_of_someone_else_is_404_and_its_owner_uses_it(
    anon: APIClient, alice, tiny_model, endpoint: str
) -> None:
    Model.objects.filter(id=MODEL_ID).update(visibility="PRIVATE", creator_id=alice.user.id)
    path, body = REQUESTS.get(endpoint, ("/api/tokenize", {"modelId": MODEL_ID, "prompt": TEXT}))
    response = anon.post(path, body, format="json")
    assert response.status_code == 404, response.json()
    assert response.json()["error"] == "Model not found"
    owner = alice.client().post(path, body, format="json")
    assert owner.status_code == 200, owner.json()


def test_a_source_the_worker_serves_but_nobody_imported_is_open(
    anon: APIClient, tiny_model
) -> None:
    Source.objects.filter(model_id=MODEL_ID, source_id=PRIVATE_SOURCE).delete()
    path, body = REQUESTS["search-topk-by-token"]
    assert anon.post(path, body, format="json").status_code == 200
