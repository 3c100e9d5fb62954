from __future__ import annotations

import pytest

from features.models import Model, Visibility
from tests.support.factories import make_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_models(alice):
    make_model("public-m", Visibility.PUBLIC)
    make_model("unlisted-m", Visibility.UNLISTED)
    make_model("private-m", Visibility.PRIVATE)
    make_model("alices-private", Visibility.PRIVATE, creator=alice.user)
    make_model("alices-unlisted", Visibility.UNLISTED, creator=alice.user)


def _ids(qs) -> set[str]:
    return set(qs.values_list("id", flat=True))


def test_anonymous_lookups_see_public_and_unlisted(three_models: None) -> None:
    assert _ids(Model.objects.viewable_by(None)) == {"public-m", "unlisted-m", "alices-unlisted"}


def test_anonymous_listings_see_public_only(three_models: None) -> None:
    assert _ids(Model.objects.listed_for(None)) == {"public-m"}


def test_creators_see_their_own_rows(three_models: None, alice, bob) -> None:
    assert _ids(Model.objects.listed_for(alice.user)) == {
        "public-m",
        "alices-private",
        "alices-unlisted",
    }
    assert "alices-private" in _ids(Model.objects.viewable_by(alice.user))
    assert "alices-private" not in _ids(Model.objects.viewable_by(bob.user))


def test_admins_see_everything(three_models: None, admin_account) -> None:
    assert len(_ids(Model.objects.listed_for(admin_account.user))) == 5
