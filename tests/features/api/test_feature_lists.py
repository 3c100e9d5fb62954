"""A feature's `lists` (the feature API and the feature page) name only the caller's own lists:
anyone with a list's id may read the list, so other users' list ids must not be handed out."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from features.models import List, ListsOnNeurons
from tests.support.accounts import Account
from tests.support.gpt2 import Gpt2
from tests.support.pages import logged_in

pytestmark = pytest.mark.django_db
URL = "/api/feature/gpt2-small/6-res-jb/14057"


@pytest.fixture
def bobs_list(gpt2: Gpt2, bob: Account) -> List:
    """bob's list with the feature in it, beside alice's "Dinos" (from the gpt2 fixture)."""
    found = List.objects.create(name="Bob's secret picks", user=bob.user)
    ListsOnNeurons.objects.create(
        list=found, model_id="gpt2-small", layer="6-res-jb", index="14057", user=bob.user
    )
    return found


def _list_ids(client: APIClient) -> list[str]:
    response = client.get(URL)
    assert response.status_code == 200
    return [entry["listId"] for entry in response.json()["lists"]]


def test_each_user_sees_only_their_own_lists(bobs_list: List, alice: Account, bob) -> None:
    dinos = List.objects.get(name="Dinos").id
    assert _list_ids(alice.client()) == [dinos]
    assert _list_ids(bob.client()) == [bobs_list.id]


def test_anonymous_callers_see_no_list_ids(bobs_list: List, anon: APIClient) -> None:
    assert _list_ids(anon) == []
    assert bobs_list.id not in anon.get(URL).content.decode()


def test_an_admin_sees_every_list(bobs_list: List, admin_account: Account) -> None:
    assert set(_list_ids(admin_account.client())) == {
        bobs_list.id,
        List.objects.get(name="Dinos").id,
    }


def test_the_feature_page_links_only_the_viewers_lists(bobs_list: List, alice: Account) -> None:
    page = logged_in(alice).get("/gpt2-small/6-res-jb/14057").content.decode()
    assert "Dinos" in page
    assert bobs_list.id not in page and "secret picks" not in page
