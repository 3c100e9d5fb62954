"""GET /api/explanation/{id} and POST /api/explanation/{id}/vote|unvote|delete."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from features.models import Explanation, Visibility, Vote
from tests.support.factories import make_explanation, make_feature, make_model, make_source
from tests.support.gpt2 import Gpt2

pytestmark = pytest.mark.django_db


@pytest.fixture
def explanation(gpt2: Gpt2) -> Explanation:
    return Explanation.objects.get(description="dinosaurs and fossils")


def test_get_returns_the_explanation_with_its_feature(
    anon: APIClient, explanation: Explanation
) -> None:
    body = anon.get(f"/api/explanation/{explanation.id}").json()
    assert body["id"] == explanation.id and body["description"] == "dinosaurs and fossils"
    assert "embedding" not in body
    assert body["author"] == {"name": "bot"}
    assert [s["value"] for s in body["scores"]] == [0.75]
    assert body["model"]["id"] == "gpt2-small"
    assert body["neuron"]["index"] == "14057"
    assert [a["maxValue"] for a in body["neuron"]["activations"]] == [3.5, 2.0]
    assert body["votes"] == []


def test_get_404s_for_missing_or_hidden_explanations(anon: APIClient, alice) -> None:
    assert anon.get("/api/explanation/nope").status_code == 404
    model = make_model("private-m", visibility=Visibility.PRIVATE, creator=alice.user)
    hidden = make_explanation(
        make_feature(make_source(model, "0-x", creator=alice.user), 1), "secret"
    )
    assert anon.get(f"/api/explanation/{hidden.id}").status_code == 404
    assert alice.client().get(f"/api/explanation/{hidden.id}").status_code == 200


def test_vote_is_idempotent(alice, explanation: Explanation) -> None:
    client = alice.client()
    first = client.post(f"/api/explanation/{explanation.id}/vote").json()
    again = client.post(f"/api/explanation/{explanation.id}/vote").json()
    assert first["id"] == again["id"] and first["points"] == 1
    assert first["voterId"] == alice.user.id and first["explanationId"] == explanation.id
    assert Vote.objects.count() == 1


def test_unvote_deletes_the_vote(alice, bob, explanation: Explanation) -> None:
    alice.client().post(f"/api/explanation/{explanation.id}/vote")
    assert bob.client().post(f"/api/explanation/{explanation.id}/unvote").status_code == 404
    response = alice.client().post(f"/api/explanation/{explanation.id}/unvote")
    assert response.status_code == 200 and response.json()["voterId"] == alice.user.id
    assert not Vote.objects.exists()


def test_voting_needs_a_key_and_a_visible_explanation(
    anon: APIClient, alice, explanation: Explanation
) -> None:
    assert anon.post(f"/api/explanation/{explanation.id}/vote").status_code == 401
    assert anon.post(f"/api/explanation/{explanation.id}/unvote").status_code == 401
    assert alice.client().post("/api/explanation/nope/vote").status_code == 404


def test_only_the_author_deletes(alice, bob, admin_account, gpt2: Gpt2) -> None:
    mine = make_explanation(gpt2.feature, "alice's idea", author=alice.user)
    assert bob.client().post(f"/api/explanation/{mine.id}/delete").status_code == 403
    response = alice.client().post(f"/api/explanation/{mine.id}/delete")
    assert response.json() == {"message": "Explanation deleted"}
    assert not Explanation.objects.filter(id=mine.id).exists()
    bots = Explanation.objects.get(description="prehistoric animals")
    assert admin_account.client().post(f"/api/explanation/{bots.id}/delete").status_code == 200
    assert alice.client().post("/api/explanation/nope/delete").status_code == 404


def test_get_is_not_a_post(anon: APIClient, explanation: Explanation) -> None:
    assert anon.post(f"/api/explanation/{explanation.id}").status_code == 405
