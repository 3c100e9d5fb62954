"""Text PostgreSQL cannot store (a NUL character) or UTF-8 cannot encode (a lone surrogate), and
integers beyond bigint, anywhere in a body, a query string or a path: a 4xx naming where, and
nothing written. The JSON parser and one middleware apply the rule for every endpoint."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from features.models import Bookmark, List
from tests.support.factories import make_feature, make_model, make_source

FEATURE = {"modelId": "demo-lm", "layer": "1-res-demo", "index": "3"}


@pytest.fixture
def feature(db: None) -> None:
    make_feature(make_source(make_model("demo-lm"), "1-res-demo"), 3)


def _post(client: APIClient, url: str, body: object) -> tuple[int, dict]:
    """`body` as JSON with \\u escapes (the way a client sends a lone surrogate)."""
    response = client.post(url, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "where", "why"),
    [
        ({"name": "a\x00b"}, "name", "NUL characters (U+0000)"),
        ({"name": "ok", "description": "x\ud800"}, "description", "lone surrogate"),
        ({"name": "ok", "testText": ["\ud83d"]}, "testText[0]", "lone surrogate"),
        ({"name": "ok", "n\x00": 1}, "body: a key", "NUL characters"),
    ],
)
def test_unstorable_text_in_a_body_is_a_400_and_writes_nothing(alice, body, where, why) -> None:
    status, answer = _post(alice.client(), "/api/list/new", body)
    assert status == 400
    assert answer["error"] == answer["message"]
    assert answer["error"].startswith(f"{where}: ") and why in answer["error"]
    assert List.objects.count() == 0


@pytest.mark.django_db
def test_a_lone_surrogate_in_custom_text_is_refused_before_any_worker(feature, anon) -> None:
    """It used to reach the worker, whose tokenizer failed (a 502 naming a TypeError)."""
    body = {"feature": {"modelId": "demo-lm", "source": "1-res-demo", "index": "3"}}
    for text in ("\ud800", ["fine", "bad \udfff"]):
        status, answer = _post(anon, "/api/activation/new", {**body, "customText": text})
        assert status == 400, answer
        assert answer["error"].startswith("customText") and "U+D" in answer["error"]


@pytest.mark.django_db
@pytest.mark.parametrize("steer_output_id", ["a\x00", "\ud800"])
def test_steer_load_with_unstorable_id_is_a_400(anon, steer_output_id) -> None:
    status, answer = _post(anon, "/api/steer-load", {"steerOutputId": steer_output_id})
    assert status == 400
    assert answer["error"].startswith("steerOutputId: Text cannot contain")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "body", "where"),
    [
        ("/api/bookmark/add", {**FEATURE, "index": 99999999999999999999}, "index"),
        (
            "/api/search-all/",
            {"modelId": "demo-lm", "sourceSet": "res-demo", "text": "hi", "sortIndexes": [2**63]},
            "sortIndexes[0]",
        ),
        ("/api/features", [{**FEATURE, "maxActsToReturn": -(2**63) - 1}], "[0].maxActsToReturn"),
    ],
)
def test_an_integer_beyond_bigint_is_a_400(feature, alice, url, body, where) -> None:
    status, answer = _post(alice.client(), url, body)
    assert status == 400
    assert answer["error"].startswith(f"{where}: ") and "out of range" in answer["error"]
    assert Bookmark.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/feature-search?modelId=demo-lm&q=a%00b",
        "/api/admin/importer/status?modelId=%00",
        "/api/feature/demo-lm/1-res-demo/3?x%00=1",
    ],
)
def test_a_nul_in_an_api_query_parameter_is_a_json_400(admin_account, url) -> None:
    response = Client().get(url, HTTP_X_API_KEY=admin_account.key)
    assert response.status_code == 400
    assert "Text cannot contain NUL characters" in response.json()["error"]


@pytest.mark.django_db
def test_a_nul_in_a_page_query_parameter_is_a_400() -> None:
    response = Client().get("/search?q=abc%00")
    assert response.status_code == 400
    assert b"Query parameter 'q'" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "is_api"),
    [
        ("/steer/%00", False),
        ("/demo-lm%00/steer", False),
        ("/demo-lm/1-res-demo%00/3", False),
        ("/api/feature/demo-lm/1-res-demo%00/3", True),
        ("/api/explanation/%00", True),
        ("/api/admin/importer/jobs/99999999999999999999", True),
    ],
)
def test_a_nul_or_a_huge_id_in_a_path_is_a_404(feature, admin_account, url, is_api) -> None:
    response = Client().get(url, HTTP_X_API_KEY=admin_account.key)
    assert response.status_code == 404
    if is_api:
        assert response.json()["error"] == "Not found."


@pytest.mark.django_db
def test_the_search_page_clamps_a_huge_offset(feature) -> None:
    response = Client().get("/search?q=dinosaurs&offset=99999999999999999999")
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_surrogate_pair_is_a_character_like_any_other(alice) -> None:
    """json.dumps escapes 🦕 as the pair "\\ud83e\\udd95", which decodes to one character."""
    status, answer = _post(alice.client(), "/api/list/new", {"name": "dinosaurs 🦕"})
    assert status == 200, answer
    assert List.objects.get().name == "dinosaurs 🦕"
