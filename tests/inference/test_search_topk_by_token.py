"""POST /api/search-topk-by-token/ through a real worker."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from rest_framework.test import APIClient

from features.models import Feature
from tests.support.factories import make_explanation
from tests.support.inference import LONG_TEXT, MODEL_ID, TEXT, TEXTS, make_features

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("worker")]
URL = "/api/search-topk-by-token/"
SOURCE = "1-res-demo"


def _topk(client: APIClient, **body: Any) -> Any:
    return client.post(URL, {"modelId": MODEL_ID, "source": SOURCE, **body}, format="json")


def _expected(reference: Any, text: str, k: int) -> list[list[tuple[int, float]]]:
    """Per position after BOS: the top-k (index, value) with value > 0."""
    acts = reference.acts(text, SOURCE)[1:]
    values, indices = torch.topk(acts, k, dim=-1)
    return [
        [(i, v) for i, v in zip(row_i, row_v, strict=True) if v > 0]
        for row_i, row_v in zip(indices.tolist(), values.tolist(), strict=True)
    ]


def test_it_lists_the_top_features_at_each_token(anon: APIClient, tiny_model, reference) -> None:
    response = _topk(anon, text=TEXT, numResults=3, densityThreshold=-1)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["source"] == SOURCE
    expected = _expected(reference, TEXT, 3)
    assert [p["position"] for p in body["results"]] == list(range(len(expected)))
    assert "".join(p["token"] for p in body["results"]) == TEXT
    assert not any(p["isSpecial"] for p in body["results"])
    for position, want in zip(body["results"], expected, strict=True):
        got = [(f["featureIndex"], f["activationValue"]) for f in position["topFeatures"]]
        assert [i for i, _ in got] == [i for i, _ in want]
        assert [v for _, v in got] == pytest.approx([v for _, v in want], abs=1e-4)


def test_density_threshold_drops_dense_features_and_features_are_joined(
    anon: APIClient, tiny_model, reference
) -> None:
    expected = _expected(reference, TEXT, 2)
    dense, plain = expected[0][0][0], expected[0][1][0]
    make_features(tiny_model, SOURCE, [dense], frac_nonzero=0.5)
    make_features(tiny_model, SOURCE, [plain], frac_nonzero=0.001)
    make_explanation(Feature.objects.get(layer=SOURCE, index=str(plain)), "mats")
    body = _topk(anon, text=TEXT, numResults=2, densityThreshold=0.1).json()
    first = body["results"][0]["topFeatures"]
    assert dense not in [f["featureIndex"] for f in first]
    assert first[0]["featureIndex"] == plain
    assert [e["description"] for e in first[0]["feature"]["explanations"]] == ["mats"]
    assert len(first) == 2  # the worker was asked for more, so the filtered one is replaced

    unfiltered = _topk(anon, text=TEXT, numResults=2, densityThreshold=-1).json()
    assert [f["featureIndex"] for f in unfiltered["results"][0]["topFeatures"]] == [dense, plain]


def test_ignore_bos_false_keeps_the_bos_position(anon: APIClient, tiny_model) -> None:
    body = _topk(anon, text=TEXT, ignoreBos=False, densityThreshold=-1).json()
    assert body["results"][0]["token"] == "<|endoftext|>"
    assert body["results"][0]["isSpecial"] is True
    assert body["results"][0]["position"] == 0


def test_a_list_of_texts_gives_results_per_text(anon: APIClient, tiny_model) -> None:
    body = _topk(anon, text=TEXTS[:2], numResults=1).json()
    assert [len(r["results"]) for r in body["results"]] == [
        len(r["tokens"]) for r in body["results"]
    ]
    assert "".join(body["results"][1]["tokens"]) == TEXTS[1]


def test_errors(anon: APIClient, tiny_model) -> None:
    assert _topk(anon, text=TEXT, numResults=21).status_code == 400
    assert _topk(anon, text=LONG_TEXT).status_code == 400
    assert _topk(anon, text=TEXT, source="9-res-demo").status_code == 404
    assert _topk(anon, text=TEXT, modelId="nope").status_code == 404
    assert (
        anon.post(
            "/api/search-topk-by-token",
            {"modelId": MODEL_ID, "source": SOURCE, "text": TEXT},
            format="json",
        ).status_code
        == 200
    )
