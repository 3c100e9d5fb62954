from __future__ import annotations

import pytest
from django.test import Client

from tests.support.accounts import Account
from tests.support.factories import make_model
from tests.support.pages import logged_in
from tests.support.seed import Site

pytestmark = pytest.mark.django_db


def test_it_shows_listed_sets_and_sources_in_layer_order(site: Site) -> None:
    response = Client().get("/gpt2-small")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>GPT-2 Small</h1>" in page
    assert page.index('href="/gpt2-small/6-res-jb"') < page.index('href="/gpt2-small/8-res-jb"')
    # UNLISTED sources are reachable by URL but not listed.
    assert "4-res-jb" not in page
    assert 'href="/gpt2-small/search"' in page


def test_unlisted_models_are_reachable_by_url(site: Site) -> None:
    response = Client().get("/hidden-lm")
    assert response.status_code == 200
    assert "This model has no source sets yet." in response.content.decode()


def test_private_models_are_404_for_others(site: Site, alice: Account, bob: Account) -> None:
    assert Client().get("/secret-lm").status_code == 404
    assert logged_in(bob).get("/secret-lm").status_code == 404
    assert logged_in(alice).get("/secret-lm").status_code == 200


def test_it_404s_for_an_unknown_model(db: None) -> None:
    assert Client().get("/no-such-model").status_code == 404


def test_site_paths_never_become_model_pages(db: None) -> None:
    make_model("api")  # even a model named like a site path
    response = Client().get("/api")
    assert response.status_code == 404
    response = Client().post("/api/nothing/here", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"]
