"""POST /api/list/* (new, new-with-features, add-features, remove, edit-feature, update, delete,
list, get, comment/new, comment/delete)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from features.models import List, ListComment, ListsOnNeurons, Visibility
from tests.support.factories import make_feature, make_model, make_source
from tests.support.gpt2 import Gpt2

pytestmark = pytest.mark.django_db
DINO = {"modelId": "gpt2-small", "layer": "6-res-jb", "index": "14057"}


@pytest.fixture
def alices_list(alice) -> List:
    return List.objects.create(name="Mine", description="", user=alice.user)


def test_new_creates_a_list_with_its_url(alice) -> None:
    response = alice.client().post(
        "/api/list/new", {"name": " Dinos ", "description": "big"}, format="json"
    )
    body = response.json()
    assert response.status_code == 200
    assert (body["name"], body["description"], body["userId"]) == ("Dinos", "big", alice.user.id)
    assert body["user"] == {"name": "alice"}
    assert body["url"] == f"http://localhost:3000/list/{body['id']}"


def test_new_validates_and_needs_a_key(anon: APIClient, alice) -> None:
    assert anon.post("/api/list/new", {"name": "x"}, format="json").status_code == 401
    response = alice.client().post("/api/list/new", {"name": "  "}, format="json")
    assert response.status_code == 400 and response.json()["message"].startswith("name:")


def test_new_with_features_skips_hidden_ones(alice, bob, gpt2: Gpt2) -> None:
    bobs = make_model("bobs", visibility=Visibility.PRIVATE, creator=bob.user)
    make_feature(make_source(bobs, "0-x", creator=bob.user), 1)
    features = [
        {**DINO, "index": 14057, "description": "roar"},
        {"modelId": "bobs", "layer": "0-x", "index": 1},
        {"modelId": "gpt2-small", "layer": "6-res-jb", "index": 404},
    ]
    body = (
        alice.client()
        .post(
            "/api/list/new-with-features",
            {"name": "Mixed", "description": "", "features": features},
            format="json",
        )
        .json()
    )
    items = ListsOnNeurons.objects.filter(list_id=body["id"])
    assert [(i.model_id, i.index, i.description) for i in items] == [
        ("gpt2-small", "14057", "roar")
    ]


def test_add_features_returns_the_added_items(alice, alices_list: List, gpt2: Gpt2) -> None:
    client = alice.client()
    body = {"listId": alices_list.id, "featuresToAdd": [{**DINO, "description": "d"}]}
    added = client.post("/api/list/add-features", body, format="json").json()
    assert [(a["modelId"], a["layer"], a["index"], a["description"]) for a in added] == [
        ("gpt2-small", "6-res-jb", "14057", "d")
    ]
    assert client.post("/api/list/add-features", body, format="json").json() == []  # already there


def test_add_features_checks_ownership_existence_and_size(
    alice, bob, alices_list: List, gpt2: Gpt2
) -> None:
    body = {"listId": alices_list.id, "featuresToAdd": [DINO]}
    assert bob.client().post("/api/list/add-features", body, format="json").status_code == 403
    missing = {"listId": "nope", "featuresToAdd": [DINO]}
    assert alice.client().post("/api/list/add-features", missing, format="json").status_code == 404
    ghost = {"listId": alices_list.id, "featuresToAdd": [{**DINO, "index": 5}]}
    assert alice.client().post("/api/list/add-features", ghost, format="json").status_code == 404
    many = {"listId": alices_list.id, "featuresToAdd": [DINO] * 101}
    response = alice.client().post("/api/list/add-features", many, format="json")
    assert response.status_code == 400 and "100" in response.json()["message"]


def test_remove_and_edit_feature(alice, bob, alices_list: List, gpt2: Gpt2) -> None:
    client = alice.client()
    client.post(
        "/api/list/add-features", {"listId": alices_list.id, "featuresToAdd": [DINO]}, format="json"
    )
    key = {"listId": alices_list.id, **DINO}
    assert (
        bob.client()
        .post("/api/list/edit-feature", {**key, "description": "x"}, format="json")
        .status_code
        == 403
    )
    edited = client.post(
        "/api/list/edit-feature", {**key, "description": "new words"}, format="json"
    ).json()
    assert edited["description"] == "new words"
    removed = client.post("/api/list/remove", key, format="json")
    assert removed.status_code == 200 and removed.json()["index"] == "14057"
    assert not ListsOnNeurons.objects.filter(list=alices_list).exists()
    assert client.post("/api/list/remove", key, format="json").status_code == 404


def test_update_and_delete(alice, bob, alices_list: List) -> None:
    body = {
        "listId": alices_list.id,
        "name": "Renamed",
        "description": "d",
        "defaultTestText": "hello",
    }
    assert bob.client().post("/api/list/update", body, format="json").status_code == 403
    updated = alice.client().post("/api/list/update", body, format="json").json()
    assert (updated["name"], updated["description"], updated["defaultTestText"]) == (
        "Renamed",
        "d",
        "hello",
    )
    assert (
        bob.client().post("/api/list/delete", {"listId": alices_list.id}, format="json").status_code
        == 403
    )
    response = alice.client().post("/api/list/delete", {"listId": alices_list.id}, format="json")
    assert response.json() is True
    assert not List.objects.exists()


def test_admins_may_change_any_list(admin_account, alices_list: List) -> None:
    response = admin_account.client().post(
        "/api/list/delete", {"listId": alices_list.id}, format="json"
    )
    assert response.status_code == 200 and response.json() is True
    assert not List.objects.filter(pk=alices_list.pk).exists()


def test_list_returns_the_callers_lists_as_an_array(alice, bob, alices_list: List) -> None:
    List.objects.create(name="Bob's", user=bob.user)
    body = alice.client().post("/api/list/list").json()
    assert [(item["id"], item["name"]) for item in body] == [(alices_list.id, "Mine")]


def test_get_shows_visible_features_with_details(anon: APIClient, alice, bob, gpt2: Gpt2) -> None:
    saved = List.objects.get(name="Dinos")
    bobs = make_model("bobs", visibility=Visibility.PRIVATE, creator=bob.user)
    make_feature(make_source(bobs, "0-x", creator=bob.user), 1)
    ListsOnNeurons.objects.create(list=saved, model_id="bobs", layer="0-x", index="1")
    ListComment.objects.create(list=saved, user=bob.user, text="great list")
    body = anon.post("/api/list/get", {"listId": saved.id}, format="json").json()
    assert (body["id"], body["name"], body["description"]) == (saved.id, "Dinos", "big ones")
    assert [(n["modelId"], n["layer"], n["index"]) for n in body["neurons"]] == [
        ("gpt2-small", "6-res-jb", "14057")
    ]
    neuron = body["neurons"][0]["neuron"]
    assert len(neuron["explanations"]) == 2 and len(neuron["activations"]) == 2
    assert body["comments"][0]["user"] == {"name": "bob"}
    as_bob = bob.client().post("/api/list/get", {"listId": saved.id}, format="json").json()
    assert len(as_bob["neurons"]) == 2
    assert anon.post("/api/list/get", {"listId": "nope"}, format="json").status_code == 404


def test_list_comments(alice, bob, alices_list: List) -> None:
    comment = (
        bob.client()
        .post("/api/list/comment/new", {"listId": alices_list.id, "text": " nice "}, format="json")
        .json()
    )
    assert (comment["text"], comment["userId"], comment["listId"]) == (
        "nice",
        bob.user.id,
        alices_list.id,
    )
    short = bob.client().post(
        "/api/list/comment/new", {"listId": alices_list.id, "text": "x"}, format="json"
    )
    assert short.status_code == 400
    assert alice.client().post(
        "/api/list/comment/delete", {"commentId": comment["id"]}, format="json"
    ).json() == {"count": 0}
    assert bob.client().post(
        "/api/list/comment/delete", {"commentId": comment["id"]}, format="json"
    ).json() == {"count": 1}
    assert (
        bob.client()
        .post("/api/list/comment/new", {"listId": "nope", "text": "hello"}, format="json")
        .status_code
        == 404
    )
