"""The header's navigation, the home page's entry points and featured feature, and the
account page's LLM keys (shown only by their first characters)."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from features.models import Feature, Vote
from neuronpedia_site import llm_keys
from neuronpedia_site.models import UserSecret
from tests.support.accounts import Account
from tests.support.factories import make_explanation
from tests.support.pages import logged_in
from tests.support.seed import Site

pytestmark = pytest.mark.django_db


def _nav(page: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav aria-label="Main" class="main-nav">(.*?)</nav>', page, re.S)
    assert nav is not None
    return re.findall(r'<a (?:class="[^"]*" )?href="([^"]+)">([^<]+)</a>', nav.group(1))


def test_the_header_links_models_search_steer_graphs_and_account(
    site: Site, alice: Account
) -> None:
    links = _nav(Client().get("/").content.decode())
    assert links == [
        ("/#models", "Models"),
        ("/search", "Search"),
        ("/gpt2-small/steer", "Steer"),
        ("/gpt2-small/graph", "Graphs"),
        ("/login", "Log in"),
        ("/signup", "Sign up"),
    ]
    links = _nav(logged_in(alice).get("/gpt2-small/6-res-jb/7").content.decode())
    assert ("/gpt2-small/steer", "Steer") in links and ("/account", "Account (alice)") in links
    assert ("/gpt2-small/graph", "Graphs") in links


def test_the_home_page_says_what_the_platform_does_with_entry_points(site: Site) -> None:
    page = Client().get("/").content.decode()
    assert "Look inside language models" in page
    for href in ('href="#models"', 'href="/gpt2-small/steer"', 'href="/search"',
                 'href="/gpt2-small/search"'):  # fmt: skip
        assert href in page
    # The featured feature: the best explained one, with its top activation's snippet.
    featured = page[page.index('id="featured"') :]
    assert 'href="/gpt2-small/6-res-jb/7"' in featured[:400]
    assert "dinosaurs and prehistoric animals" in featured[:600]
    assert '<span class="tok shade-20 max" title="4.000"> dinosaur</span>' in featured


def test_votes_and_the_setting_choose_the_featured_feature(site: Site, bob: Account) -> None:
    fossil = Feature.objects.get(layer="6-res-jb", index="12")
    voted = make_explanation(fossil, "bones in rock")
    Vote.objects.create(voter=bob.user, explanation=voted)
    page = Client().get("/").content.decode()
    assert 'href="/gpt2-small/6-res-jb/12"' in page[page.index('id="featured"') :][:400]
    with override_settings(FEATURED_FEATURE="gpt2-small/6-res-jb/7"):
        page = Client().get("/").content.decode()
    assert 'href="/gpt2-small/6-res-jb/7"' in page[page.index('id="featured"') :][:400]


def test_the_account_page_shows_llm_keys_by_their_first_characters(alice: Account) -> None:
    llm_keys.save_user_key(alice.user, "OPENROUTER", "sk-or-v1-0123456789abcdef")
    page = logged_in(alice).get("/account").content.decode()
    assert 'id="llm-OPENROUTER-state">set: <code>sk-or-…</code>' in page
    assert 'id="llm-OPENAI-state">not set' in page
    assert "0123456789abcdef" not in page
    assert UserSecret.objects.get(user=alice.user, type="OPENROUTER").value.startswith("fernet:")


def test_rotating_the_api_key_asks_first(alice: Account) -> None:
    page = logged_in(alice).get("/account").content.decode()
    assert 'data-confirm="Rotate your API key? The old key stops working at once."' in page
