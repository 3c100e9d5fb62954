"""The features joined into inference answers (`inference.feature_rows.neuron_texts`), written
by PostgreSQL, against the same rows read one by one through the ORM."""

from __future__ import annotations

import json

import pytest

from features.models import Model
from features.rows import row_dict
from inference.feature_rows import neuron_texts
from neuronpedia_format.users import BOT_USER_ID
from tests.support.factories import (
    make_activation,
    make_explanation,
    make_feature,
    make_model,
    make_source,
)

pytestmark = pytest.mark.django_db


def neurons(model_id: str, keys: list[tuple[str, str]], **kw: bool) -> dict:
    found = neuron_texts(model_id, keys, **kw)
    for neuron in found.values():
        assert neuron.frac_nonzero == json.loads(neuron.text)["frac_nonzero"]
    return {key: json.loads(neuron.text) for key, neuron in found.items()}


def test_each_neuron_is_its_row_with_explanations_model_and_top_public_activation(
    alice, seeded
) -> None:
    model = make_model("m1")
    source = make_source(model, "3-res-x")
    feature = make_feature(
        source, 7, frac_nonzero=0.25, correlated_features_indices=[1, 2], max_act_approx=1.5
    )
    make_feature(source, 8)
    make_feature(make_source(make_model("m2"), "3-res-x"), 7)  # same key, another model
    top = make_activation(feature, [0.0, 3.5, 1.25], creator_id=BOT_USER_ID)
    make_activation(feature, [0.0, 2.0], creator_id=BOT_USER_ID)
    make_activation(feature, [0.0, 99.0], creator=alice.user)  # not a public creator
    unscored = make_explanation(feature, "no score")
    low = make_explanation(feature, "low", score_v2=0.1, score_v1=0.9)
    high = make_explanation(feature, "high", score_v2=0.7)

    got = neurons("m1", [("3-res-x", "7"), ("3-res-x", "8"), ("3-res-x", "9"), ("9-res-x", "7")])

    assert set(got) == {("3-res-x", "7"), ("3-res-x", "8")}  # keys without a row are absent
    model_row = row_dict(Model.objects.get(id="m1"))
    expected = {
        **row_dict(feature),
        "correlated_features_indices": [],  # blanked, as Neuronpedia's API does
        "correlated_features_pearson": [],
        "correlated_features_l1": [],
        # the ORM's order_by("-score_v2", ...): NULLs first on PostgreSQL
        "explanations": [row_dict(e, exclude=("embedding",)) for e in (unscored, high, low)],
        "model": model_row,
        "activations": [row_dict(top)],
    }
    assert got[("3-res-x", "7")] == expected
    assert got[("3-res-x", "7")]["frac_nonzero"] == 0.25
    assert got[("3-res-x", "8")]["explanations"] == []
    assert got[("3-res-x", "8")]["activations"] == []

    without = neurons("m1", [("3-res-x", "7")], with_activation=False)
    assert "activations" not in without[("3-res-x", "7")]
    assert without[("3-res-x", "7")]["explanations"] == expected["explanations"]
    assert neurons("m1", []) == {}
