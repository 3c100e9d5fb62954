"""The explore pages: `/random/{modelId}[/{source}]`, release pages at `/{releaseName}`, the
top-k-by-token page and the UMAP pane on source pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from features.models import Feature, Source, SourceRelease, SourceSet, Visibility
from tests.support.accounts import Account
from tests.support.factories import make_feature, make_model, make_source
from tests.support.pages import logged_in
from tests.support.seed import MODEL, SOURCE, Site

pytestmark = pytest.mark.django_db
FEATURE_URL = re.compile(r"^/gpt2-small/(?P<layer>[^/]+)/(?P<index>\d+)$")


def _random_targets(client: Client, url: str, draws: int = 40) -> set[tuple[str, str]]:
    found = set()
    for _ in range(draws):
        response = client.get(url)
        assert response.status_code == 302
        match = FEATURE_URL.match(response["Location"])
        assert match, response["Location"]
        found.add((match["layer"], match["index"]))
    return found


def test_random_opens_features_with_dashboards_of_listed_sources(site: Site) -> None:
    unlisted = Source.objects.get(source_id="4-res-jb")
    make_feature(unlisted, 1, max_act_approx=3.0)
    drawn = _random_targets(Client(), f"/random/{MODEL}")
    assert len(drawn) > 5  # a draw, not one fixed feature
    assert {layer for layer, _ in drawn} == {SOURCE}  # 8-res-jb has no features; 4 is unlisted
    assert ("6-res-jb", "0") not in drawn  # maxActApprox 0: no dashboard
    indexes = {int(index) for _, index in drawn}
    assert all(Feature.objects.get(layer=SOURCE, index=str(i)).max_act_approx > 0 for i in indexes)


def test_random_in_a_source_draws_from_that_source_even_unlisted(site: Site) -> None:
    unlisted = Source.objects.get(source_id="4-res-jb")
    make_feature(unlisted, 1, max_act_approx=3.0)
    assert _random_targets(Client(), f"/random/{MODEL}/4-res-jb", draws=3) == {("4-res-jb", "1")}


def test_random_is_404_for_hidden_models_and_sources_without_dashboards(
    site: Site, alice: Account, bob: Account
) -> None:
    secret = Source.objects.create(
        model_id="secret-lm", source_id="0-res-x", set_name="res-x", creator=alice.user
    )
    SourceSet.objects.create(model_id="secret-lm", name="res-x", creator=alice.user)
    make_feature(secret, 3, max_act_approx=1.0)
    assert Client().get("/random/secret-lm").status_code == 404
    assert logged_in(bob).get("/random/secret-lm").status_code == 404
    assert logged_in(alice).get("/random/secret-lm")["Location"] == "/secret-lm/0-res-x/3"
    assert Client().get(f"/random/{MODEL}/8-res-jb").status_code == 404
    assert Client().get("/random/no-such-model").status_code == 404


def test_a_release_page_lists_its_sets_and_sources(site: Site) -> None:
    response = Client().get("/gpt2-res")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Residual SAEs for GPT-2</h1>" in page
    assert "Joseph Bloom" in page
    assert 'href="/gpt2-small/res-jb"' in page
    assert page.index('href="/gpt2-small/6-res-jb"') < page.index('href="/gpt2-small/8-res-jb"')
    assert "4-res-jb" not in page  # UNLISTED: reachable, not listed
    assert 'href="/random/gpt2-small"' in page
    home = Client().get("/").content.decode()
    assert 'href="/gpt2-res"' in home


def test_private_releases_are_404_and_a_model_id_wins_over_a_release(
    site: Site, alice: Account
) -> None:
    SourceRelease.objects.create(
        name="secret-release", visibility=Visibility.PRIVATE, creator=alice.user
    )
    assert Client().get("/secret-release").status_code == 404
    assert logged_in(alice).get("/secret-release").status_code == 200
    SourceRelease.objects.create(name=MODEL, description="A release named like the model")
    assert "<h1>GPT-2 Small</h1>" in Client().get(f"/{MODEL}").content.decode()


def test_the_topk_page_offers_listed_searchable_sources(site: Site) -> None:
    SourceSet.objects.filter(model_id=MODEL).update(allow_inference_search=True)
    hidden = make_model("other-lm")
    make_source(hidden, "0-res-no")
    SourceSet.objects.filter(model=hidden).update(allow_inference_search=False)
    url = f"/search-topk-by-token?modelId={MODEL}&source=8-res-jb&text=The+dinosaur"
    response = Client().get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert '"gpt2-small": ["6-res-jb", "8-res-jb"]' in page
    assert "other-lm" not in page and "4-res-jb" not in page
    assert 'data-source="8-res-jb"' in page and ">The dinosaur</textarea>" in page
    model_page = Client().get(f"/{MODEL}").content.decode()
    assert 'href="/search-topk-by-token?modelId=gpt2-small"' in model_page
    assert 'href="/random/gpt2-small"' in model_page


def test_a_source_page_shows_the_umap_pane_once_laid_out(site: Site) -> None:
    page = Client().get(f"/{MODEL}/{SOURCE}").content.decode()
    assert 'id="umap-canvas"' not in page
    assert f"compute_umap {MODEL} {SOURCE}" in page
    assert f'href="/random/{MODEL}/{SOURCE}"' in page
    Source.objects.filter(source_id=SOURCE).update(has_umap=True)
    page = Client().get(f"/{MODEL}/{SOURCE}").content.decode()
    assert 'id="umap-canvas"' in page and "js/umap.js" in page
    # A set page (several sources) has no pane.
    assert 'id="umap"' not in Client().get(f"/{MODEL}/res-jb").content.decode()
