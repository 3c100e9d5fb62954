"""The site's pages call the JSON API with the browser session (DRF SessionAuthentication),
which needs the CSRF token, unlike API keys."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from tests.support.accounts import Account
from tests.support.factories import make_model

pytestmark = pytest.mark.django_db


def _session(account: Account) -> Client:
    client = Client(enforce_csrf_checks=True)
    # django-axes throttles logins per request (client address), so login() needs one.
    assert client.login(
        request=RequestFactory().post("/login"),
        username=account.user.username,
        password="password-123",
    )
    return client


def test_the_session_user_reaches_the_api_with_the_csrf_token(alice: Account) -> None:
    make_model("alices-own", "PRIVATE", creator=alice.user)
    client = _session(alice)
    client.get("/account")  # sets the csrftoken cookie, as any page with a form does
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/model/list", content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200
    assert [m["id"] for m in response.json()] == ["alices-own"]


def test_a_session_post_without_the_token_is_refused(alice: Account) -> None:
    response = _session(alice).post("/api/model/list", content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]


def test_api_keys_need_no_csrf_token(alice: Account) -> None:
    response = Client(enforce_csrf_checks=True).post(
        "/api/model/list", content_type="application/json", HTTP_X_API_KEY=alice.key
    )
    assert response.status_code == 200
