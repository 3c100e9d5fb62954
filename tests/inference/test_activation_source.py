"""POST /api/activation/source through a real worker."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.support.inference import MODEL_ID, TEXT, TEXTS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("worker")]
URL = "/api/activation/source"


def test_it_lists_every_active_feature(anon: APIClient, tiny_model, reference) -> None:
    response = anon.post(
        URL, {"modelId": MODEL_ID, "source": "1-res-demo", "customText": TEXT}, format="json"
    )
    assert response.status_code == 200, response.json()
    (result,) = response.json()["results"]
    acts = reference.acts(TEXT, "1-res-demo")
    expected = {
        str(f): [
            [t, round(float(acts[t, f]), 3)] for t in range(1, acts.shape[0]) if acts[t, f] != 0
        ]
        for f in range(acts.shape[1])
    }
    expected = {f: pairs for f, pairs in expected.items() if pairs}
    assert result["activeFeatures"].keys() == expected.keys()
    for feature, pairs in expected.items():
        assert [p[0] for p in result["activeFeatures"][feature]] == [p[0] for p in pairs]
        assert [p[1] for p in result["activeFeatures"][feature]] == pytest.approx(
            [p[1] for p in pairs], abs=2e-3
        )


def test_it_takes_up_to_four_texts(anon: APIClient, tiny_model) -> None:
    body = {"modelId": MODEL_ID, "source": "1-res-demo", "customText": TEXTS[:4]}
    assert len(anon.post(URL, body, format="json").json()["results"]) == 4
    body["customText"] = TEXTS[:5]
    assert anon.post(URL, body, format="json").status_code == 400
    body = {"modelId": MODEL_ID, "source": "3-res-demo", "customText": TEXT}
    assert anon.post(URL, body, format="json").status_code == 404
