"""POST /api/bookmark/add, /api/bookmark/delete and /api/user/bookmarks."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from features.models import Bookmark, Visibility
from tests.support.factories import make_feature, make_model, make_source
from tests.support.gpt2 import Gpt2

pytestmark = pytest.mark.django_db
DINO = {"modelId": "gpt2-small", "layer": "6-res-jb", "index": 14057}


def test_add_is_idempotent_and_listed(alice, bob, gpt2: Gpt2) -> None:
    client = alice.client()
    first = client.post("/api/bookmark/add", DINO, format="json").json()
    assert (first["modelId"], first["layer"], first["index"], first["userId"]) == (
        "gpt2-small",
        "6-res-jb",
        "14057",
        alice.user.id,
    )
    assert client.post("/api/bookmark/add", DINO, format="json").json()["id"] == first["id"]
    assert [b["id"] for b in client.post("/api/user/bookmarks").json()] == [first["id"]]
    assert bob.client().post("/api/user/bookmarks").json() == []


def test_add_needs_a_visible_feature(alice, bob, gpt2: Gpt2) -> None:
    assert (
        alice.client().post("/api/bookmark/add", {**DINO, "index": 1}, format="json").status_code
        == 404
    )
    bobs = make_model("bobs", visibility=Visibility.PRIVATE, creator=bob.user)
    make_feature(make_source(bobs, "0-x", creator=bob.user), 1)
    hidden = {"modelId": "bobs", "layer": "0-x", "index": 1}
    assert alice.client().post("/api/bookmark/add", hidden, format="json").status_code == 404


def test_delete_removes_only_the_callers_bookmark(alice, bob, gpt2: Gpt2) -> None:
    alice.client().post("/api/bookmark/add", DINO, format="json")
    bob.client().post("/api/bookmark/add", DINO, format="json")
    assert alice.client().post("/api/bookmark/delete", DINO, format="json").json() == {"count": 1}
    assert alice.client().post("/api/bookmark/delete", DINO, format="json").json() == {"count": 0}
    assert list(Bookmark.objects.values_list("user_id", flat=True)) == [bob.user.id]


def test_bookmarks_need_a_key(anon: APIClient, gpt2: Gpt2) -> None:
    assert anon.post("/api/bookmark/add", DINO, format="json").status_code == 401
    assert anon.post("/api/bookmark/delete", DINO, format="json").status_code == 401
    assert anon.post("/api/user/bookmarks").status_code == 401


def test_add_validates_naming_the_field(alice) -> None:
    response = alice.client().post(
        "/api/bookmark/add", {"modelId": "m", "layer": "l"}, format="json"
    )
    assert response.status_code == 400 and response.json()["message"].startswith("index:")
