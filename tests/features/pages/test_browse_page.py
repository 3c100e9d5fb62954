from __future__ import annotations

import pytest
from django.test import Client

from tests.support.accounts import Account
from tests.support.factories import make_feature, make_source
from tests.support.pages import logged_in
from tests.support.seed import Site

pytestmark = pytest.mark.django_db


def _indexes(page: str, source: str = "6-res-jb") -> list[str]:
    import re

    return re.findall(rf'href="/gpt2-small/{source}/(\d+)"', page)


def test_a_source_lists_its_features_in_numeric_order_by_pages_of_50(site: Site) -> None:
    first = Client().get("/gpt2-small/6-res-jb").content.decode()
    assert _indexes(first) == [str(i) for i in range(50)]
    assert "Page 1 of 2" in first and "55 features" in first
    second = Client().get("/gpt2-small/6-res-jb?page=2").content.decode()
    assert _indexes(second) == [str(i) for i in range(50, 55)]


def test_each_feature_shows_its_top_explanation_and_max_activation(site: Site) -> None:
    page = Client().get("/gpt2-small/6-res-jb").content.decode()
    row = page[page.index('href="/gpt2-small/6-res-jb/7"') :].split("</tr>")[0]
    assert "dinosaurs and prehistoric animals" in row
    # The largest public activation (4.0), not the owner's private 9.0 example.
    assert "4.000" in row and "9.000" not in row
    row = page[page.index('href="/gpt2-small/6-res-jb/3"') :].split("</tr>")[0]
    assert "no explanation" in row and "0.300" in row  # falls back to maxActApprox


def test_a_set_lists_features_of_its_listed_sources(site: Site) -> None:
    make_feature(site.model.sources.get(source_id="8-res-jb"), 1)
    make_feature(site.model.sources.get(source_id="4-res-jb"), 2)
    page = Client().get("/gpt2-small/res-jb").content.decode()
    assert "Residual stream SAEs (Joseph Bloom)" in page
    assert _indexes(page) == [str(i) for i in range(50)]  # sources in layer order
    page = Client().get("/gpt2-small/res-jb?page=2").content.decode()
    assert 'href="/gpt2-small/8-res-jb/1"' in page
    assert "4-res-jb" not in page  # UNLISTED


def test_unlisted_sources_are_reachable_by_url(site: Site) -> None:
    make_feature(site.model.sources.get(source_id="4-res-jb"), 2)
    response = Client().get("/gpt2-small/4-res-jb")
    assert response.status_code == 200
    assert 'href="/gpt2-small/4-res-jb/2"' in response.content.decode()


def test_private_sources_are_404_for_others(site: Site, alice: Account, bob: Account) -> None:
    make_source(site.model, "2-mine", visibility="PRIVATE", creator=alice.user)
    site.model.source_sets.filter(name="mine").update(creator=alice.user)
    assert Client().get("/gpt2-small/2-mine").status_code == 404
    assert logged_in(bob).get("/gpt2-small/mine").status_code == 404
    assert logged_in(alice).get("/gpt2-small/2-mine").status_code == 200


def test_jump_to_index_opens_the_feature(site: Site) -> None:
    response = Client().get("/gpt2-small/6-res-jb", {"jump": "12"})
    assert response.status_code == 302 and response["Location"] == "/gpt2-small/6-res-jb/12"
    response = Client().get("/gpt2-small/res-jb", {"jump": "7", "source": "6-res-jb"})
    assert response["Location"] == "/gpt2-small/6-res-jb/7"


def test_jump_to_a_missing_index_says_so(site: Site) -> None:
    response = Client().get("/gpt2-small/6-res-jb", {"jump": "9999"})
    assert response.status_code == 404
    assert "There is no feature 9999 in 6-res-jb." in response.content.decode()


def test_an_empty_source_says_so(site: Site) -> None:
    page = Client().get("/gpt2-small/8-res-jb").content.decode()
    assert "No features here yet." in page


def test_a_set_without_listed_sources_has_no_jump_box(site: Site) -> None:
    make_source(site.model, "1-solo", visibility="UNLISTED")
    response = Client().get("/gpt2-small/solo", {"jump": "1"})
    assert response.status_code == 200
    assert 'id="jump-index"' not in response.content.decode()


def test_unknown_names_are_404(site: Site) -> None:
    assert Client().get("/gpt2-small/nope").status_code == 404
