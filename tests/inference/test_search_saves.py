"""Saving a search-all answer (`inference.search._save_search`): Activation rows as the
ORM would write them, one SavedSearch per distinct request, links in result order."""

from __future__ import annotations

from typing import Any

import pytest

from features.models import Activation, SavedSearch, SavedSearchActivation
from inference.search import SearchAll, _save_search
from neuronpedia_site.models import INFERENCE_ACTIVATION_USER_ID
from tests.support.factories import make_feature, make_model, make_source

pytestmark = pytest.mark.django_db


def _answer() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    acts = [
        {"source": "3-res-x", "index": 2, "values": [0.0, 1.5, -0.25], "max_value": 1.5,
         "max_value_index": 1, "sum_values": 0.0},
        {"source": "3-res-x", "index": 1, "values": [0.0, 0.5, 0.75], "max_value": 0.75,
         "max_value_index": 2, "sum_values": 0.0},
    ]  # fmt: skip
    return {"tokens": ["<bos>", "a", "b"], "activations": acts, "counts": [[0, 2, 1]]}, acts


def test_rows_links_and_a_second_identical_save(seeded) -> None:
    source = make_source(make_model("m1"), "3-res-x")
    for index in (1, 2):
        make_feature(source, index)
    search = SearchAll(model_id="m1", source_set="res-x", text="a b", num_results=2)
    answer, acts = _answer()
    keys = {("3-res-x", "1"), ("3-res-x", "2")}

    _save_search(search, answer, acts, keys, None)
    saved = SavedSearch.objects.get()
    assert (saved.query, saved.tokens, saved.counts) == ("a b", ["<bos>", "a", "b"], "[[0, 2, 1]]")
    assert (saved.num_results, saved.source_set, saved.user_id) == (2, "res-x", None)
    links = list(SavedSearchActivation.objects.filter(saved_search=saved).order_by("order"))
    assert [(link.order, link.activation.index) for link in links] == [(0, "2"), (1, "1")]
    first = links[0].activation
    assert (first.values, first.max_value, first.max_value_token_index) == (
        [0.0, 1.5, -0.25],
        1.5,
        1,
    )
    assert (first.min_value, first.creator_id) == (-0.25, INFERENCE_ACTIVATION_USER_ID)
    assert first.tokens == ["<bos>", "a", "b"] and first.created_at is not None
    assert len({link.activation_id for link in links}) == 2  # each row has its own id

    _save_search(search, answer, acts, keys, None)  # e.g. another process answered it too
    assert SavedSearch.objects.count() == 1
    assert SavedSearchActivation.objects.count() == 2
    assert Activation.objects.count() == 4  # the history keeps both answers


def test_no_saved_search_unless_every_result_has_a_feature_row(seeded) -> None:
    make_feature(make_source(make_model("m1"), "3-res-x"), 2)
    answer, acts = _answer()
    search = SearchAll(model_id="m1", source_set="res-x", text="a b")
    _save_search(search, answer, acts, {("3-res-x", "2")}, None)
    assert list(Activation.objects.values_list("index", flat=True)) == ["2"]
    assert SavedSearch.objects.count() == 0
