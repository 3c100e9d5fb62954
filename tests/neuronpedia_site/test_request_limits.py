"""Request limits (docs/api.md, "Limits"): texts sent to a model, free text stored with a list,
and the lists a request sends. Over a limit is a 400 that names it, given before any item of a
long list is validated and before any worker is asked."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from features.models import List
from tests.support.factories import make_model, make_source

FEATURE = {"modelId": "demo-lm", "source": "1-res-demo", "index": "3"}


@pytest.fixture
def model(db: None) -> None:
    make_source(make_model("demo-lm"), "1-res-demo")


def _post(client: APIClient, url: str, body: object) -> tuple[int, str]:
    response = client.post(url, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()["error"]


@pytest.mark.django_db
def test_more_texts_than_the_limit_is_a_400_naming_it(model, anon) -> None:
    """20,000 texts used to reach the worker (3 s of its time per anonymous request)."""
    texts = ["hello"] * 20_000
    limit = settings.API_MAX_TEXTS
    status, error = _post(anon, "/api/activation/new", {"feature": FEATURE, "customText": texts})
    assert (status, error) == (400, f"customText: At most {limit} texts (got 20000).")
    body = {"modelId": "demo-lm", "sourceSet": "res-demo", "text": texts}
    status, error = _post(anon, "/api/search-all/", body)
    assert (status, error) == (400, f"text: At most {limit} texts (got 20000).")


@pytest.mark.django_db
def test_a_text_over_the_character_limit_is_a_400_naming_it(model, anon) -> None:
    limit = settings.API_MAX_TEXT_CHARS
    body = {"modelId": "demo-lm", "source": "1-res-demo", "text": ["ok", "a" * (limit + 1)]}
    status, error = _post(anon, "/api/search-topk-by-token/", body)
    assert (status, error) == (400, f"text: Each text is at most {limit} characters.")


@pytest.mark.django_db
def test_activation_source_keeps_neuronpedias_four_texts(model, anon) -> None:
    body = {"modelId": "demo-lm", "source": "1-res-demo", "customText": ["a"] * 5}
    status, error = _post(anon, "/api/activation/source", body)
    assert (status, error) == (400, "customText: At most 4 texts (got 5).")


@pytest.mark.django_db
def test_a_description_over_the_limit_is_a_400_and_no_list_is_made(alice) -> None:
    limit = settings.API_MAX_DESCRIPTION_CHARS
    body = {"name": "mine", "description": "d" * (limit + 1)}
    status, error = _post(alice.client(), "/api/list/new", body)
    assert status == 400
    assert error == f"description: Ensure this field has no more than {limit} characters."
    assert not List.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "body", "error"),
    [
        (
            "/api/features",
            [{"modelId": "demo-lm", "layer": "1-res-demo", "index": 1}] * 20_000,
            "At most 250 features per request.",
        ),
        (
            "/api/steer/",
            {
                "modelId": "demo-lm",
                "prompt": "hi",
                "features": [{**FEATURE, "strength": 1}] * 20_000,
            },
            "features: Ensure this field has no more than 64 elements.",
        ),
        (
            "/api/list/add-features",
            {"listId": "x", "featuresToAdd": [FEATURE] * 20_000},
            "featuresToAdd: Too many features to add. Max is 100 at a time.",
        ),
    ],
)
def test_a_long_list_is_refused_before_its_items_are_checked(model, alice, url, body, error):
    """DRF checks a ListField's length after validating every item: 25,000 nested objects
    took 5 s of a web worker before they were refused."""
    started = time.monotonic()
    status, answer = _post(alice.client(), url, body)
    assert (status, answer) == (400, error)
    assert time.monotonic() - started < 2
