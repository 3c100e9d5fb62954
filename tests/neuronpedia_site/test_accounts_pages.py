from __future__ import annotations

import re

import pytest
from django.test import Client, RequestFactory

from neuronpedia_site.models import User, user_for_api_key

pytestmark = pytest.mark.django_db


def test_sign_up_shows_the_new_key_once() -> None:
    client = Client()
    response = client.post(
        "/signup", {"username": "Erin", "password": "long-enough-pw"}, follow=True
    )
    assert response.status_code == 200
    key = re.search(r"sk-np-[A-Za-z0-9]{44}", response.content.decode()).group(0)
    assert user_for_api_key(key) == User.objects.get(username="erin")
    again = client.get("/account").content.decode()
    assert key not in again and key[:10] in again


def test_rotating_from_the_account_page_replaces_the_key(alice) -> None:
    client = Client()
    # django-axes throttles logins per request (client address), so login() needs one.
    assert client.login(
        request=RequestFactory().post("/login"), username="alice", password="password-123"
    )
    page = client.post("/account/rotate-key", follow=True).content.decode()
    new_key = re.search(r"sk-np-[A-Za-z0-9]{44}", page).group(0)
    assert new_key != alice.key
    assert user_for_api_key(new_key) == alice.user


def test_sign_up_rejects_a_bad_username() -> None:
    response = Client().post("/signup", {"username": "no spaces!", "password": "long-enough-pw"})
    assert response.status_code == 400
    assert User.objects.filter(username="no spaces!").count() == 0


def test_home_page_lists_public_models() -> None:
    from tests.support.factories import make_model

    make_model("public-one")
    make_model("hidden-one", "PRIVATE")
    page = Client().get("/").content.decode()
    assert "public-one" in page and "hidden-one" not in page
