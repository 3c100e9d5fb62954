"""Bodies the API cannot take are a 4xx `{error, message}`, never a 500: too large (413), JSON
nested too deeply, or not a JSON object."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

URL = "/api/explanation/search"


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_is_a_413(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = Client().post(
        URL, '{"query": "' + "a" * 2000 + '"}', content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"] == "The request body is larger than 1000 bytes."


@pytest.mark.django_db
def test_json_nested_too_deeply_is_a_400() -> None:
    body = '{"query": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = Client().post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "The request body is nested too deeply."


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[]", '"s"', "123", "null"])
def test_a_body_that_is_not_an_object_is_a_400(body: str) -> None:
    response = Client().post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "The request body must be a JSON object."
