from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from features.models import SourceSet
from tests.support.seed import Site

pytestmark = pytest.mark.django_db


def test_it_offers_the_sets_that_allow_inference_search(site: Site) -> None:
    response = Client().get("/gpt2-small/search")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<form id="infer-form" class="form wide" data-model="gpt2-small">' in page
    assert '<option value="res-jb">res-jb</option>' in page
    assert '<div id="infer-output" aria-live="polite">' in page
    assert "/static/js/inference_search.js" in page


def test_it_says_when_no_set_allows_it(site: Site) -> None:
    SourceSet.objects.update(allow_inference_search=False)
    page = Client().get("/gpt2-small/search").content.decode()
    assert "No source set of this model allows inference search." in page
    assert "infer-form" not in page


def test_hidden_models_are_404(site: Site) -> None:
    assert Client().get("/secret-lm/search").status_code == 404


def test_dense_features_are_hidden_by_default_at_the_configured_threshold(
    site: Site, settings: Any
) -> None:
    settings.INFERENCE_SEARCH_DENSITY_THRESHOLD = 0.15
    page = Client().get("/gpt2-small/search").content.decode()
    assert 'id="infer-hide-dense" data-threshold="0.15" checked>' in page
    assert "Hide features active on more than 15% of tokens" in page
    settings.INFERENCE_SEARCH_DENSITY_THRESHOLD = -1
    assert "infer-hide-dense" not in Client().get("/gpt2-small/search").content.decode()
