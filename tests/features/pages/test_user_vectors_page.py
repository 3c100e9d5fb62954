from __future__ import annotations

import pytest
from django.test import Client

from features.models import Feature, Source, SourceSet
from neuronpedia_site.models import User
from tests.support.accounts import Account
from tests.support.factories import make_feature, make_model, make_source
from tests.support.pages import logged_in
from tests.support.seed import Site

pytestmark = pytest.mark.django_db


def _vector(source: Source, index: int, owner: User, label: str) -> Feature:
    return make_feature(
        source,
        index,
        has_vector=True,
        creator=owner,
        vector_label=label,
        hook_name=f"blocks.{source.source_id.split('-')[0]}.hook_resid_pre",
    )


def test_it_lists_the_users_vectors_to_them(site: Site, bob: Account, alice: Account) -> None:
    source = make_source(site.model, "3-neuronpedia-resid-pre", visibility="UNLISTED")
    _vector(source, 90000001, bob.user, "bob's dinosaurs")
    _vector(source, 90000002, alice.user, "alice's cats")
    response = logged_in(bob).get("/user/bob/vectors")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<a href="/gpt2-small/3-neuronpedia-resid-pre/90000001">bob&#x27;s dinosaurs</a>' in page
    assert "<code>blocks.3.hook_resid_pre</code>" in page
    assert "alice" not in page.split("<main")[1].split("</main>")[0].replace("alice's", "")


def test_vectors_of_hidden_models_are_left_out(db: None, bob: Account, alice: Account) -> None:
    model = make_model("bobs-model", "PRIVATE", creator=bob.user)
    source = make_source(model, "0-neuronpedia-resid-pre", visibility="PRIVATE", creator=bob.user)
    SourceSet.objects.filter(model=model).update(creator=bob.user)
    _vector(source, 90000003, bob.user, "private one")
    assert "private one" not in Client().get("/user/bob/vectors").content.decode()
    assert "private one" in logged_in(bob).get("/user/bob/vectors").content.decode()


def test_it_says_when_there_are_none(bob: Account) -> None:
    assert "bob has no vectors" in Client().get("/user/bob/vectors").content.decode()
    page = logged_in(bob).get("/user/bob/vectors").content.decode()
    assert "POST /api/vector/new" in page


def test_unknown_users_are_404(db: None) -> None:
    assert Client().get("/user/nobody/vectors").status_code == 404


def test_unlisted_vectors_are_not_listed_to_others(
    site: Site, bob: Account, alice: Account, admin_account: Account
) -> None:
    unlisted = make_source(site.model, "3-neuronpedia-resid-pre", visibility="UNLISTED")
    _vector(unlisted, 90000001, bob.user, "bob's unlisted vector")
    public = make_source(site.model, "5-bobs-public", visibility="PUBLIC")
    _vector(public, 90000004, bob.user, "bob's public vector")
    for others in (Client(), logged_in(alice)):
        page = others.get("/user/bob/vectors").content.decode()
        assert "bob's public vector" in page.replace("&#x27;", "'")
        assert "unlisted vector" not in page and "90000001" not in page
    # Still reachable by its URL, as any UNLISTED row.
    assert Client().get("/gpt2-small/3-neuronpedia-resid-pre/90000001").status_code == 200
    for insider in (bob, admin_account):
        page = logged_in(insider).get("/user/bob/vectors").content.decode()
        assert "unlisted vector" in page
