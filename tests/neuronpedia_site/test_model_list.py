from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.support.factories import make_model, make_source

pytestmark = pytest.mark.django_db


def test_it_lists_visible_models_with_sets_and_sources(anon: APIClient, alice) -> None:
    model = make_model("gpt2-small")
    make_source(model, "8-res-jb")
    make_source(model, "6-res-jb")
    make_source(model, "2-secret", visibility="PRIVATE")
    make_model("private-model", "PRIVATE")
    body = anon.post("/api/model/list").json()
    assert [m["id"] for m in body] == ["gpt2-small"]
    sets = body[0]["sourceSets"]
    assert [s["name"] for s in sets] == ["res-jb"]
    assert [s["id"] for s in sets[0]["sources"]] == ["6-res-jb", "8-res-jb"]
    assert body[0]["displayName"] == "GPT2-SMALL" and body[0]["layers"] == 12
