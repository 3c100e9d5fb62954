"""POST /api/tokenize through a real worker."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.support.factories import make_model
from tests.support.inference import MODEL_ID, TEXT

pytestmark = pytest.mark.django_db
URL = "/api/tokenize"


@pytest.mark.usefixtures("worker")
def test_it_tokenizes_with_and_without_bos(anon: APIClient, tiny_model, reference) -> None:
    body = anon.post(URL, {"modelId": MODEL_ID, "prompt": TEXT}, format="json").json()
    assert body["tokens"] == reference.model.to_tokens(TEXT)[0].tolist()
    assert body["token_strings"][0] == "<|endoftext|>"
    assert "".join(body["token_strings"][1:]) == TEXT
    assert body["prepend_bos"] is True
    plain = anon.post(
        URL, {"modelId": MODEL_ID, "prompt": TEXT, "prependBos": False}, format="json"
    ).json()
    assert plain["tokens"] == body["tokens"][1:] and plain["prepend_bos"] is False


@pytest.mark.usefixtures("worker")
def test_errors(anon: APIClient, tiny_model) -> None:
    assert anon.post(URL, {"modelId": "nope", "prompt": TEXT}, format="json").status_code == 404
    too_long = {"modelId": MODEL_ID, "prompt": "x" * 10_001}
    assert anon.post(URL, too_long, format="json").status_code == 400


def test_a_model_without_a_worker_is_a_503_naming_the_queue(anon: APIClient, seeded) -> None:
    make_model("other-lm")
    response = anon.post(URL, {"modelId": "other-lm", "prompt": TEXT}, format="json")
    assert response.status_code == 503
    assert "inference.other-lm" in response.json()["message"]
