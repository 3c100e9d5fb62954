from __future__ import annotations

import pytest
from django.test import Client

from features.models import Feature, SourceSet
from tests.support.accounts import Account
from tests.support.factories import make_explanation, make_feature, make_model, make_source
from tests.support.pages import logged_in
from tests.support.seed import Site

pytestmark = pytest.mark.django_db


def test_it_finds_explanations_by_their_words(site: Site) -> None:
    response = Client().get("/search", {"q": "Prehistoric dinosaurs"})
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        '<a href="/gpt2-small/6-res-jb/7">gpt2-small · 6-res-jb · 7</a> — dinosaurs and prehistoric animals'
        in page
    )
    assert "large animals" not in page


def test_it_says_when_nothing_matches(site: Site) -> None:
    page = Client().get("/search", {"q": "spaceships"}).content.decode()
    assert "No explanations match “spaceships”." in page


def test_it_hides_explanations_of_hidden_sources(site: Site, alice: Account) -> None:
    model = make_model("secret-two", "PRIVATE", creator=alice.user)
    source = make_source(model, "0-x", visibility="PRIVATE", creator=alice.user)
    SourceSet.objects.filter(model=model).update(creator=alice.user)
    make_explanation(make_feature(source, 1), "secret dinosaurs")
    make_explanation(
        make_feature(site.model.sources.get(source_id="4-res-jb"), 1), "unlisted dinosaurs"
    )
    anon = Client().get("/search", {"q": "dinosaurs"}).content.decode()
    assert "secret dinosaurs" not in anon and "unlisted dinosaurs" not in anon
    assert (
        "secret dinosaurs" in logged_in(alice).get("/search", {"q": "dinosaurs"}).content.decode()
    )


def test_it_filters_by_model(site: Site) -> None:
    other = make_model("other-lm")
    make_explanation(make_feature(make_source(other, "0-x"), 1), "dinosaurs elsewhere")
    page = Client().get("/search", {"q": "dinosaurs", "model": "other-lm"}).content.decode()
    assert "dinosaurs elsewhere" in page and "prehistoric" not in page
    assert '<option value="other-lm" selected>' in page


def test_it_pages_through_results_twenty_at_a_time(site: Site) -> None:
    source = site.model.sources.get(source_id="6-res-jb")
    for feature in Feature.objects.filter(
        layer=source.source_id, index__in=[str(i) for i in range(20, 45)]
    ):
        make_explanation(feature, f"many dinosaurs {feature.index}")
    first = Client().get("/search", {"q": "many dinosaurs"}).content.decode()
    assert first.count("— many dinosaurs") == 20
    assert 'offset=20" rel="next">More results' in first
    second = Client().get("/search", {"q": "many dinosaurs", "offset": "20"}).content.decode()
    assert second.count("— many dinosaurs") == 5 and "More results" not in second
    assert '<ol class="results" start="21">' in second


def test_short_queries_ask_for_more(site: Site) -> None:
    assert "Type at least 3 characters." in Client().get("/search", {"q": "di"}).content.decode()


def test_the_empty_page_has_a_labelled_form(db: None) -> None:
    page = Client().get("/search").content.decode()
    assert '<label for="q">' in page and 'role="search"' in page and "Results" not in page
