"""Every endpoint that reads the browser session and changes state refuses a POST without the
CSRF token, whatever the body: the session never acts for a page on another site."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import resolve
from rest_framework.authentication import SessionAuthentication

from tests.support.accounts import Account

pytestmark = pytest.mark.django_db

STATE_CHANGING = ("post", "put", "patch", "delete")
# Form posts of the site's own pages (not DRF views, not in the API schema).
PAGE_FORMS = ["/account/rotate-key", "/logout", "/signup", "/login"]


def _session(account: Account) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(account.user)
    return client


def _concrete(path: str) -> str:
    """A schema path with its parameters filled in."""
    return re.sub(r"\{[^}]+\}", "1", path)


def _session_operations(client: Client) -> list[tuple[str, str]]:
    schema = json.loads(Client().get("/api/schema?format=json").content)
    operations = []
    for path, item in schema["paths"].items():
        url = _concrete(path)
        view: Any = resolve(url).func
        cls = getattr(view, "cls", None)
        if cls is None or not any(
            issubclass(a, SessionAuthentication) for a in cls.authentication_classes
        ):
            continue
        operations += [(method, url) for method in item if method in STATE_CHANGING]
    return operations


def test_session_posts_without_the_token_are_refused_on_every_api_operation(
    admin_account: Account,
) -> None:
    client = _session(admin_account)  # an admin: no role check may answer before CSRF does
    operations = _session_operations(client)
    assert len(operations) >= 40  # the walk found the API, not an empty schema
    refused = {}
    for method, url in operations:
        response = getattr(client, method)(url, "{}", content_type="application/json")
        refused[f"{method.upper()} {url}"] = (
            response.status_code,
            "CSRF" in response.json().get("error", ""),
        )
    assert {op: r for op, r in refused.items() if r != (403, True)} == {}


@pytest.mark.parametrize("path", PAGE_FORMS)
def test_page_forms_refuse_a_post_without_the_token(path: str, alice: Account) -> None:
    key_before = alice.user.api_key if hasattr(alice.user, "api_key") else None
    response = _session(alice).post(path, {"username": "x", "password": "y"})
    assert response.status_code == 403
    alice.user.refresh_from_db()
    if key_before is not None:
        assert alice.user.api_key == key_before


def test_with_the_token_the_session_is_accepted(alice: Account) -> None:
    client = _session(alice)
    client.get("/account")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/list/new",
        {"name": "mine"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200 and response.json()["name"] == "mine"
