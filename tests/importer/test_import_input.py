"""The importer endpoints check their fields before touching a location, a job or a worker:
a wrong type or a value out of range is a 400 naming the field, and no job is made."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from importer.models import ImportJob


def _post(admin: Any, url: str, body: Any = None) -> tuple[int, str]:
    client = Client()
    if body is None:
        response = client.post(url, HTTP_X_API_KEY=admin.key)
    else:
        response = client.post(
            url, json.dumps(body), content_type="application/json", HTTP_X_API_KEY=admin.key
        )
    return response.status_code, response.json()["error"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "error"),
    [
        (
            "explanationBatchStart=99999999999999999999",
            "explanationBatchStart: Ensure this value is less than or equal to 2147483647.",
        ),
        (
            "explanationBatchStart=-1",
            "explanationBatchStart: Ensure this value is greater than or equal to 0.",
        ),
        ("explanationBatchStart=ten", "explanationBatchStart: A valid integer is required."),
        ("explanations=maybe", 'explanations: "maybe" is not a valid choice.'),
        ("modelId=" + "m" * 65, "modelId: Ensure this field has no more than 64 characters."),
    ],
)
def test_import_query_fields_are_checked(admin_account, query, error) -> None:
    url = f"/api/admin/import?modelId=gpt2-small&sourceId=6-res-jb&{query}"
    assert _post(admin_account, url) == (400, error)
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body", [[], "s", 1])
def test_import_config_takes_an_object_or_nothing(admin_account, body) -> None:
    status, error = _post(admin_account, "/api/admin/import-config", body)
    assert (status, error) == (400, "The request body must be a JSON object.")
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"modelId": "gpt2-small", "sourceId": {"a": 1}}, "sourceId: Not a valid string."),
        (
            {"modelId": "gpt2-small", "sourceId": "s", "resync": "maybe"},
            "resync: Must be a valid boolean.",
        ),
        ({"modelId": "gpt2-small", "sourceId": "s", "from": ["x"]}, "from: Not a valid string."),
        ({"modelId": ["gpt2-small"], "setName": "res-jb"}, "modelId: Not a valid string."),
    ],
)
def test_panel_fields_are_checked(admin_account, body, error) -> None:
    url = "/api/admin/importer/jobs/set" if "setName" in body else "/api/admin/importer/jobs"
    assert _post(admin_account, url, body) == (400, error)
    assert not ImportJob.objects.exists()
