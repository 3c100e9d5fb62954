"""`binContains` is served only as a fraction: the SQL and Python spellings of the rule agree,
and the stored value is kept."""

from __future__ import annotations

import pytest

from features.activation_rows import activation_dict
from features.feature_detail import get_feature
from features.models import Activation
from neuronpedia_format.users import BOT_USER_ID
from tests.support.factories import make_activation, make_feature, make_model, make_source

pytestmark = pytest.mark.django_db

STORED = [-1.0, 0.0, 0.25, 1.0, 1.5, None]
SERVED = [None, 0.0, 0.25, 1.0, None, None]


def test_the_sentinel_and_other_non_fractions_are_served_as_null() -> None:
    feature = make_feature(make_source(make_model("m"), "0-x"), 1)
    for rank, bin_contains in enumerate(STORED):
        make_activation(
            feature, [0.0, 10.0 - rank], bin_contains=bin_contains, creator_id=BOT_USER_ID
        )
    answer = get_feature("m", "0-x", "1", None)
    assert answer is not None
    assert [a["binContains"] for a in answer["activations"]] == SERVED
    rows = Activation.objects.filter(index="1").order_by("-max_value")
    assert [activation_dict(a)["binContains"] for a in rows] == SERVED
    assert [a.bin_contains for a in rows] == STORED
