from __future__ import annotations

import pytest
from django.test import Client

from features.models import ListsOnNeurons, SourceSet
from tests.support.accounts import Account
from tests.support.factories import make_feature, make_source
from tests.support.pages import logged_in
from tests.support.seed import Site

pytestmark = pytest.mark.django_db


def test_it_shows_the_features_with_their_descriptions(site: Site) -> None:
    response = Client().get(f"/list/{site.list.id}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Dino features</h1>" in page and "A list by alice" in page
    assert 'href="/gpt2-small/6-res-jb/7">gpt2-small · 6-res-jb · 7</a>' in page
    assert "the T-rex one" in page and "4.000" in page


def test_features_without_a_description_show_their_top_explanation(site: Site) -> None:
    ListsOnNeurons.objects.update(description="")
    page = Client().get(f"/list/{site.list.id}").content.decode()
    assert '<span class="muted">dinosaurs and prehistoric animals</span>' in page


def test_only_the_owner_gets_remove_buttons(site: Site, alice: Account, bob: Account) -> None:
    owner_page = logged_in(alice).get(f"/list/{site.list.id}").content.decode()
    assert (
        'class="remove" data-model="gpt2-small" data-layer="6-res-jb" data-index="7"' in owner_page
    )
    assert "/static/js/list.js" in owner_page and "csrfmiddlewaretoken" in owner_page
    for client in (Client(), logged_in(bob)):
        page = client.get(f"/list/{site.list.id}").content.decode()
        assert 'class="remove"' not in page and "list.js" not in page


def test_features_hidden_from_the_reader_are_left_out(site: Site, alice: Account) -> None:
    source = make_source(site.model, "2-mine", visibility="PRIVATE", creator=alice.user)
    SourceSet.objects.filter(name="mine").update(creator=alice.user)
    make_feature(source, 1)
    ListsOnNeurons.objects.create(list=site.list, model=site.model, layer="2-mine", index="1")
    assert "2-mine" not in Client().get(f"/list/{site.list.id}").content.decode()
    assert "2-mine" in logged_in(alice).get(f"/list/{site.list.id}").content.decode()


def test_an_empty_list_says_so(site: Site) -> None:
    ListsOnNeurons.objects.all().delete()
    assert "This list is empty." in Client().get(f"/list/{site.list.id}").content.decode()


def test_an_unknown_list_is_404(db: None) -> None:
    assert Client().get("/list/nope").status_code == 404
