"""POST /api/model/get and /api/model/new (/api/model/list: tests/neuronpedia_site/test_model_list.py)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from features.models import Model, SourceSet, Visibility
from tests.support.factories import make_model, make_source

pytestmark = pytest.mark.django_db


def test_get_returns_the_model_with_visible_sets_and_sources(anon: APIClient, alice) -> None:
    model = make_model("gpt2-small")
    make_source(model, "8-res-jb")
    make_source(model, "6-res-jb")
    make_source(model, "0-mine", visibility=Visibility.PRIVATE, creator=alice.user)
    SourceSet.objects.filter(name="mine").update(creator=alice.user)
    body = anon.post("/api/model/get", {"id": "gpt2-small"}, format="json").json()
    assert body["id"] == "gpt2-small" and body["layers"] == 12
    assert [s["name"] for s in body["sourceSets"]] == ["res-jb"]
    assert [s["id"] for s in body["sourceSets"][0]["sources"]] == ["6-res-jb", "8-res-jb"]
    mine = alice.client().post("/api/model/get", {"id": "gpt2-small"}, format="json").json()
    assert [s["name"] for s in mine["sourceSets"]] == ["mine", "res-jb"]


def test_get_404s_for_hidden_or_missing_models(anon: APIClient, alice) -> None:
    make_model("secret", visibility=Visibility.PRIVATE, creator=alice.user)
    assert anon.post("/api/model/get", {"id": "secret"}, format="json").status_code == 404
    assert anon.post("/api/model/get", {"id": "nope"}, format="json").status_code == 404
    assert alice.client().post("/api/model/get", {"id": "secret"}, format="json").status_code == 200


def test_get_needs_an_id(anon: APIClient) -> None:
    response = anon.post("/api/model/get", {}, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("id:")


def test_new_creates_an_unlisted_model_owned_by_the_caller(alice) -> None:
    response = alice.client().post(
        "/api/model/new",
        {"id": "my-model.v2", "layers": 4, "displayName": "My model", "url": "https://example.com"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["layers"], body["displayName"], body["website"]) == (
        "my-model.v2",
        4,
        "My model",
        "https://example.com",
    )
    model = Model.objects.get(id="my-model.v2")
    assert model.visibility == Visibility.UNLISTED and model.creator_id == alice.user.id
    assert model.owner == "custom" and model.display_name_short == "My model"


def test_new_defaults_the_display_name_to_the_id(alice) -> None:
    body = alice.client().post("/api/model/new", {"id": "tiny", "layers": 1}, format="json").json()
    assert body["displayName"] == "tiny" and body["website"] is None


def test_new_needs_a_key(anon: APIClient) -> None:
    response = anon.post("/api/model/new", {"id": "tiny", "layers": 1}, format="json")
    assert response.status_code == 401
    assert "x-api-key" in response.json()["error"]
    assert not Model.objects.filter(id="tiny").exists()


def test_new_rejects_a_bad_key(anon: APIClient) -> None:
    anon.credentials(HTTP_X_API_KEY="sk-np-wrong")
    assert (
        anon.post("/api/model/new", {"id": "tiny", "layers": 1}, format="json").status_code == 401
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "Upper", "layers": 1}, "id"),
        ({"id": "a--b", "layers": 1}, "id"),
        ({"id": "ok-id", "layers": 0}, "layers"),
        ({"id": "ok-id", "layers": 128}, "layers"),
        ({"id": "ok-id"}, "layers"),
        ({"id": "ok-id", "layers": 1, "url": "not a url"}, "url"),
        ({"id": "ok-id", "layers": 1, "displayName": "x" * 65}, "displayName"),
    ],
)
def test_new_validates_naming_the_field(alice, body: dict, field: str) -> None:
    response = alice.client().post("/api/model/new", body, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}:")


def test_new_refuses_an_existing_id(alice) -> None:
    make_model("gpt2-small")
    response = alice.client().post(
        "/api/model/new", {"id": "gpt2-small", "layers": 1}, format="json"
    )
    assert response.status_code == 400
    assert "already exists" in response.json()["message"]
