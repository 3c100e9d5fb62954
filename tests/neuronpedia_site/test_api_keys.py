from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from neuronpedia_site.models import UserSecret, set_api_key, user_for_api_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.neuronpedia_site.auth_urls")]


def test_keys_look_like_neuronpedias_and_are_stored_hashed(alice) -> None:
    assert alice.key.startswith("sk-np-") and len(alice.key) == 6 + 44
    assert not any(c in alice.key for c in "+/=")
    secret = UserSecret.objects.get(user=alice.user, type="NEURONPEDIA")
    assert secret.value == hashlib.sha256(alice.key.encode()).hexdigest()
    assert alice.key not in secret.value
    assert secret.display_prefix == alice.key[:10]


def test_rotation_invalidates_the_old_key(alice) -> None:
    new_key = set_api_key(alice.user)
    assert new_key != alice.key
    assert user_for_api_key(alice.key) is None
    assert user_for_api_key(new_key) == alice.user
    assert UserSecret.objects.filter(user=alice.user).count() == 1


def test_optional_endpoint_accepts_no_key_and_bad_key(anon: APIClient) -> None:
    assert anon.post("/api/model/list").status_code == 200
    anon.credentials(HTTP_X_API_KEY="sk-np-nope")
    assert anon.post("/api/model/list").status_code == 200


def test_required_endpoint_answers_401_json_without_key(anon: APIClient) -> None:
    response = anon.post("/api/test/authed", {}, format="json")
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == body["message"]
    assert "x-api-key" in body["message"]


def test_required_endpoint_rejects_a_bad_key(anon: APIClient) -> None:
    anon.credentials(HTTP_X_API_KEY="sk-np-" + "A" * 44)
    response = anon.post("/api/test/authed", {}, format="json")
    assert response.status_code == 401
    assert "Invalid API key" in response.json()["error"]


def test_required_endpoint_accepts_a_good_key(alice) -> None:
    response = alice.client().post("/api/test/authed", {}, format="json")
    assert response.status_code == 200
    assert response.json() == {"user": "alice"}


def test_admin_endpoint_forbids_plain_users(alice, admin_account) -> None:
    response = alice.client().post("/api/test/admin", {}, format="json")
    assert response.status_code == 403
    assert set(response.json()) == {"error", "message"}
    assert admin_account.client().post("/api/test/admin", {}, format="json").status_code == 200


def test_bad_json_is_a_400_json_error(alice) -> None:
    response = alice.client().post("/api/test/authed", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


def test_unknown_api_path_is_a_404_json_error(anon: APIClient) -> None:
    response = anon.get("/api/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found.", "message": "Not found."}


def test_api_posts_need_no_csrf_token(alice) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_X_API_KEY=alice.key)
    assert client.post("/api/test/authed", {}, format="json").status_code == 200


def test_api_answers_carry_cors_headers(anon: APIClient) -> None:
    response = anon.post("/api/model/list")
    assert response["Access-Control-Allow-Origin"] == "*"
