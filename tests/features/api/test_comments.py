"""POST /api/comment/new and /api/comment/delete."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from features.models import Comment
from tests.support.gpt2 import Gpt2

pytestmark = pytest.mark.django_db
DINO = {"modelId": "gpt2-small", "layer": "6-res-jb", "index": "14057"}


def test_new_adds_a_trimmed_comment(bob, gpt2: Gpt2) -> None:
    body = (
        bob.client()
        .post("/api/comment/new", {**DINO, "text": "  Looks like dinosaurs.  "}, format="json")
        .json()
    )
    assert (body["text"], body["userId"], body["user"]) == (
        "Looks like dinosaurs.",
        bob.user.id,
        {"name": "bob"},
    )
    assert Comment.objects.filter(user=bob.user).count() == 1


@pytest.mark.parametrize("text", ["four", "   tiny   ", "x" * 1025])
def test_new_checks_the_length(bob, gpt2: Gpt2, text: str) -> None:
    response = bob.client().post("/api/comment/new", {**DINO, "text": text}, format="json")
    assert response.status_code == 400 and response.json()["message"].startswith("text:")


def test_new_needs_a_key_and_a_visible_feature(anon: APIClient, bob, gpt2: Gpt2) -> None:
    assert (
        anon.post("/api/comment/new", {**DINO, "text": "hello there"}, format="json").status_code
        == 401
    )
    missing = {**DINO, "index": "1", "text": "hello there"}
    assert bob.client().post("/api/comment/new", missing, format="json").status_code == 404


def test_delete_is_for_the_author(alice, bob, admin_account, gpt2: Gpt2) -> None:
    comment = Comment.objects.get(text="Nice one!")  # alice's
    assert (
        bob.client().post("/api/comment/delete", {"id": comment.id}, format="json").status_code
        == 404
    )
    assert alice.client().post("/api/comment/delete", {"id": comment.id}, format="json").json() == {
        "message": "ok"
    }
    assert not Comment.objects.exists()
    other = (
        bob.client().post("/api/comment/new", {**DINO, "text": "hello there"}, format="json").json()
    )
    assert (
        admin_account.client()
        .post("/api/comment/delete", {"id": other["id"]}, format="json")
        .status_code
        == 200
    )
