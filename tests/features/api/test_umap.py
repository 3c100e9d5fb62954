"""POST /api/umap: each source's stored layout in upstream's shape, and only for sources the
caller may see."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from features.models import Explanation, Feature, Model, Source, Visibility
from tests.support.accounts import Account
from tests.support.factories import make_explanation, make_feature, make_model, make_source

pytestmark = pytest.mark.django_db
URL = "/api/umap"


def _laid_out(model: Model, source_id: str, n: int, **kw: Any) -> list[Feature]:
    source = make_source(model, source_id, **kw)
    return [
        make_feature(source, i, umap_x=float(i), umap_y=-float(i), frac_nonzero=0.001)
        for i in range(n)
    ]


@pytest.fixture
def model(alice: Account) -> Model:
    model = make_model("gpt2-small", creator=alice.user)
    features = _laid_out(model, "6-res-jb", 3)
    make_explanation(features[1], "dinosaurs", score_v1=0.2)
    make_explanation(features[1], "dinosaurs and fossils", score_v1=0.9)
    # A feature without a layout is left out.
    make_feature(Source.objects.get(model=model, source_id="6-res-jb"), 99)
    _laid_out(model, "7-res-jb", 2, visibility=Visibility.PRIVATE, creator=alice.user)
    return model


def test_it_answers_upstreams_shape_one_point_per_laid_out_feature(
    anon: APIClient, model: Model
) -> None:
    response = anon.post(URL, {"modelId": "gpt2-small", "layers": ["6-res-jb"]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert list(body) == ["6-res-jb"]
    points = sorted(body["6-res-jb"], key=lambda p: int(p["index"]))
    assert [p["index"] for p in points] == ["0", "1", "2"]
    best = Explanation.objects.get(description="dinosaurs and fossils")
    assert points[1] == {
        "id": best.id,
        "layer": "6-res-jb",
        "index": "1",
        "description": "dinosaurs and fossils",
        "umap_cluster": None,
        "umap_x": 1.0,
        "umap_y": -1.0,
        "umap_log_feature_sparsity": None,
    }
    assert points[0]["id"] is None and points[0]["description"] is None


def test_private_sources_are_404_to_others_and_shown_to_their_creator(
    anon: APIClient, model: Model, alice: Account, bob: Account
) -> None:
    body = {"modelId": "gpt2-small", "layers": ["6-res-jb", "7-res-jb"]}
    for client in (anon, bob.client()):
        response = client.post(URL, body, format="json")
        assert response.status_code == 404
        assert response.json()["error"]
        assert "umap_x" not in response.content.decode()
    response = alice.client().post(URL, body, format="json")
    assert response.status_code == 200
    assert len(response.json()["7-res-jb"]) == 2


def test_a_private_model_hides_its_public_sources(anon: APIClient, alice: Account) -> None:
    model = make_model("secret-lm", visibility=Visibility.PRIVATE, creator=alice.user)
    _laid_out(model, "0-res-x", 2)
    response = anon.post(URL, {"modelId": "secret-lm", "layers": ["0-res-x"]}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [{}, {"modelId": "gpt2-small"}, {"modelId": "gpt2-small", "layers": []}, {"layers": "x"}],
)
def test_bad_bodies_are_400(anon: APIClient, model: Model, body: dict[str, object]) -> None:
    response = anon.post(URL, body, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"error", "message"}
