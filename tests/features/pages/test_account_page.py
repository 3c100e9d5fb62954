from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.support.accounts import Account
from tests.support.pages import logged_in
from tests.support.seed import Site

pytestmark = pytest.mark.django_db


def test_it_needs_a_login(db: None) -> None:
    response = Client().get("/account")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_it_shows_the_key_prefix_but_never_the_key(alice: Account) -> None:
    page = logged_in(alice).get("/account").content.decode()
    assert alice.key not in page
    assert f'<code id="api-key-prefix">{alice.key[:10]}…</code>' in page
    assert "X-Api-Key" in page


def test_a_rotated_key_is_shown_once_with_a_usage_example(alice: Account) -> None:
    client = logged_in(alice)
    page = client.post("/account/rotate-key", follow=True).content.decode()
    key = re.search(r'<code id="api-key" class="key">(sk-np-\w+)</code>', page).group(1)
    assert f'curl -H "X-Api-Key: {key}"' in page
    assert "Your API key was rotated." in page
    assert key not in client.get("/account").content.decode()


def test_it_links_the_users_lists_and_vectors(site: Site, alice: Account) -> None:
    page = logged_in(alice).get("/account").content.decode()
    assert f'<a href="/list/{site.list.id}">Dino features</a>' in page
    assert 'href="/user/alice/vectors"' in page
