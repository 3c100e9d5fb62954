"""POST /api/user/api-key."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from neuronpedia_site import llm_keys
from neuronpedia_site.models import user_for_api_key

pytestmark = pytest.mark.django_db


def test_neuronpedia_type_rotates_and_returns_the_new_key(alice) -> None:
    old = alice.key
    body = alice.client().post("/api/user/api-key", {"type": "NEURONPEDIA"}, format="json").json()
    assert body["type"] == "NEURONPEDIA" and body["username"] == "alice"
    assert body["value"].startswith("sk-np-") and body["value"] != old
    assert user_for_api_key(body["value"]) == alice.user
    assert user_for_api_key(old) is None


def test_other_types_return_the_start_of_the_stored_secret_or_404(alice) -> None:
    """LLM keys are stored encrypted and never shown again in full (tests/autointerp)."""
    client = alice.client()
    assert client.post("/api/user/api-key", {"type": "OPENAI"}, format="json").status_code == 404
    llm_keys.save_user_key(alice.user, "OPENAI", "sk-openai")
    assert (
        client.post("/api/user/api-key", {"type": "OPENAI"}, format="json").json()["value"]
        == "sk-ope…"
    )


def test_it_validates_and_needs_a_key(anon: APIClient, alice) -> None:
    assert anon.post("/api/user/api-key", {"type": "NEURONPEDIA"}, format="json").status_code == 401
    response = alice.client().post("/api/user/api-key", {"type": "GITHUB"}, format="json")
    assert response.status_code == 400 and response.json()["message"].startswith("type:")
