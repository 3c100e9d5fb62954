"""GET /api/source-set/{modelId}/{name} and POST /api/source-set/new."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from features.models import Source, SourceRelease, SourceSet, Visibility
from tests.support.factories import make_model, make_source

pytestmark = pytest.mark.django_db


def test_get_returns_the_set_with_model_release_and_listed_sources(anon: APIClient, alice) -> None:
    model = make_model("gpt2-small")
    make_source(model, "10-res-jb")
    make_source(model, "2-res-jb")
    Source.objects.create(
        model=model, source_id="3-res-jb", set_name="res-jb", visibility=Visibility.UNLISTED
    )
    SourceRelease.objects.create(name="gpt2sm-res-jb", visibility=Visibility.PUBLIC)
    SourceSet.objects.filter(name="res-jb").update(release_id="gpt2sm-res-jb")
    body = anon.get("/api/source-set/gpt2-small/res-jb").json()
    assert body["name"] == "res-jb" and body["modelId"] == "gpt2-small"
    assert [s["id"] for s in body["sources"]] == ["2-res-jb", "10-res-jb"]
    assert body["model"]["id"] == "gpt2-small"
    assert body["releases"]["name"] == "gpt2sm-res-jb"


def test_get_404s_for_hidden_sets(anon: APIClient, alice) -> None:
    model = make_model("gpt2-small")
    make_source(model, "0-mine", visibility=Visibility.PRIVATE)
    SourceSet.objects.filter(name="mine").update(creator=alice.user)
    assert anon.get("/api/source-set/gpt2-small/mine").status_code == 404
    assert anon.get("/api/source-set/gpt2-small/nothing").status_code == 404
    assert alice.client().get("/api/source-set/gpt2-small/mine").status_code == 200


def test_new_creates_an_unlisted_set_with_a_source_per_layer(alice) -> None:
    make_model("gpt2-small", layers=3)
    response = alice.client().post(
        "/api/source-set/new",
        {"name": "my-saes", "modelId": "gpt2-small", "description": "Mine", "url": "https://x.org"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["modelId"], body["description"], body["urls"]) == (
        "my-saes",
        "gpt2-small",
        "Mine",
        ["https://x.org"],
    )
    assert [(s["id"], s["modelId"], s["setName"]) for s in body["sources"]] == [
        ("0-my-saes", "gpt2-small", "my-saes"),
        ("1-my-saes", "gpt2-small", "my-saes"),
        ("2-my-saes", "gpt2-small", "my-saes"),
    ]
    created = SourceSet.objects.get(name="my-saes")
    assert (
        created.visibility,
        created.type,
        created.creator_id,
        created.allow_inference_search,
    ) == (Visibility.UNLISTED, "Custom", alice.user.id, False)
    assert set(Source.objects.filter(set_name="my-saes").values_list("visibility", flat=True)) == {
        "UNLISTED"
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "neurons", "modelId": "gpt2-small"}, "name"),
        ({"name": "Caps", "modelId": "gpt2-small"}, "name"),
        ({"name": "trailing-", "modelId": "gpt2-small"}, "name"),
        ({"name": "ok", "modelId": "nope"}, "modelId"),
        ({"name": "ok", "modelId": "gpt2-small", "description": "x" * 129}, "description"),
        ({"modelId": "gpt2-small"}, "name"),
    ],
)
def test_new_validates_naming_the_field(alice, body: dict, field: str) -> None:
    make_model("gpt2-small")
    response = alice.client().post("/api/source-set/new", body, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}:")


def test_new_refuses_a_taken_name_and_hidden_models(alice, bob) -> None:
    model = make_model("gpt2-small")
    make_source(model, "6-res-jb")
    taken = alice.client().post(
        "/api/source-set/new", {"name": "res-jb", "modelId": "gpt2-small"}, format="json"
    )
    assert taken.status_code == 400 and "already exists" in taken.json()["message"]
    make_model("bobs", visibility=Visibility.PRIVATE, creator=bob.user)
    hidden = alice.client().post(
        "/api/source-set/new", {"name": "x", "modelId": "bobs"}, format="json"
    )
    assert hidden.status_code == 400


def test_new_needs_a_key(anon: APIClient) -> None:
    make_model("gpt2-small")
    assert (
        anon.post(
            "/api/source-set/new", {"name": "x", "modelId": "gpt2-small"}, format="json"
        ).status_code
        == 401
    )
