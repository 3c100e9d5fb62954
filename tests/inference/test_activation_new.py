"""POST /api/activation/new through a real worker: SAE features and vectors."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from rest_framework.test import APIClient

from tests.support.factories import make_source
from tests.support.inference import LONG_TEXT, MODEL_ID, TEXT, TEXTS, make_features

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("worker")]
URL = "/api/activation/new"
HOOK = "blocks.1.hook_resid_pre"


def _new(client: APIClient, feature: dict[str, Any], text: Any, **body: Any) -> Any:
    return client.post(URL, {"feature": feature, "customText": text, **body}, format="json")


def test_it_returns_an_activation_like_object(anon: APIClient, tiny_model, reference) -> None:
    response = _new(anon, {"modelId": MODEL_ID, "layer": "1-jr-demo", "index": "7"}, TEXT)
    assert response.status_code == 200, response.json()
    body = response.json()
    expected = reference.acts(TEXT, "1-jr-demo")[1:, 7].tolist()  # BOS dropped, as Neuronpedia
    assert body["values"] == pytest.approx(expected, abs=1e-4)
    assert "".join(body["tokens"]) == TEXT
    assert body["maxValue"] == pytest.approx(max(expected), abs=1e-4)
    assert body["minValue"] == pytest.approx(min(expected), abs=1e-4)
    assert body["maxValueTokenIndex"] == expected.index(max(expected))
    assert (body["modelId"], body["layer"], body["index"]) == (MODEL_ID, "1-jr-demo", "7")
    assert body["dataSource"] == "Neuronpedia" and body["dataIndex"] is None
    assert body["creatorId"] == "cljgamm90000076zdchicy6zj"
    assert body["createdAt"].endswith("Z")


def test_a_list_of_texts_gives_a_list_and_neuron_works_as_feature(alice, tiny_model) -> None:
    response = alice.client().post(
        URL,
        {
            "neuron": {"modelId": MODEL_ID, "source": "0-res-demo", "index": 3},
            "customText": TEXTS[:3],
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list) and len(body) == 3
    assert ["".join(b["tokens"]) for b in body] == TEXTS[:3]
    assert {b["creatorId"] for b in body} == {alice.user.id}


def test_a_vector_activation_is_the_dot_product_with_its_hook(
    anon: APIClient, tiny_model, reference
) -> None:
    vector_source = make_source(tiny_model, "1-neuronpedia-resid-pre", visibility="UNLISTED")
    vector = torch.randn(64, generator=torch.Generator().manual_seed(3))
    make_features(
        tiny_model,
        vector_source.source_id,
        [95_000_001],
        has_vector=True,
        vector=vector.tolist(),
        hook_name=HOOK,
    )
    key = {"modelId": MODEL_ID, "source": "1-neuronpedia-resid-pre", "index": "95000001"}
    body = _new(anon, key, TEXT).json()
    expected = (reference.resid(TEXT, HOOK) @ vector).tolist()
    assert body["values"] == pytest.approx(expected, abs=1e-4)
    assert body["tokens"][0] == "<|endoftext|>"  # vectors keep BOS ...
    assert body["maxValue"] == pytest.approx(max(expected), abs=1e-4)

    dropped = _new(anon, key, TEXT, ignoreBos=True).json()  # ... unless asked not to
    assert dropped["tokens"] == body["tokens"][1:]
    assert dropped["values"] == pytest.approx(expected[1:], abs=1e-4)
    assert dropped["maxValueTokenIndex"] == expected[1:].index(max(expected[1:]))


def test_errors(anon: APIClient, tiny_model) -> None:
    feature = {"modelId": MODEL_ID, "source": "1-res-demo", "index": "7"}
    assert _new(anon, feature, LONG_TEXT).status_code == 400
    assert _new(anon, {**feature, "index": "x"}, TEXT).status_code == 400
    assert anon.post(URL, {"customText": TEXT}, format="json").status_code == 400
    assert _new(anon, {**feature, "index": "100000"}, TEXT).status_code == 404
    assert _new(anon, {**feature, "source": "5-res-demo"}, TEXT).status_code == 404
    assert _new(anon, {**feature, "modelId": "nope"}, TEXT).status_code == 404
