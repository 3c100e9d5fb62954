from __future__ import annotations

import pytest
from django.test import Client

from tests.support.accounts import Account
from tests.support.pages import logged_in
from tests.support.seed import Site

pytestmark = pytest.mark.django_db


def test_it_lists_public_models_with_their_sets_and_releases(site: Site) -> None:
    page = Client().get("/").content.decode()
    assert 'href="/gpt2-small"' in page and "GPT-2 Small" in page
    assert 'href="/gpt2-small/res-jb"' in page
    assert "gpt2-res" in page and "Residual SAEs for GPT-2" in page


def test_it_hides_unlisted_and_private_models(site: Site) -> None:
    page = Client().get("/").content.decode()
    assert "hidden-lm" not in page
    assert "secret-lm" not in page


def test_creators_see_their_own_private_models(site: Site, alice: Account, bob: Account) -> None:
    assert "secret-lm" in logged_in(alice).get("/").content.decode()
    assert "secret-lm" not in logged_in(bob).get("/").content.decode()


def test_it_says_how_to_get_data_when_empty() -> None:
    response = Client().get("/")
    assert response.status_code == 200
    assert "No models yet" in response.content.decode()
