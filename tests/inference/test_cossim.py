"""POST /api/cossim through a real worker: decoder cosine top-k against a brute-force reference."""

from __future__ import annotations

import pytest
import torch
from rest_framework.test import APIClient

from tests.support.factories import make_model, make_source
from tests.support.inference import MODEL_ID, Reference, TinyPack, make_features
from tests.support.tiny_models import build_sae_root
from tests.support.worker_processes import spawn_worker

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("worker")]
URL = "/api/cossim"
TWIN = "tiny-twin"


def _body(**overrides: str) -> dict[str, str]:
    return {
        "modelId": MODEL_ID,
        "source": "1-res-demo",
        "index": "11",
        "targetModelId": MODEL_ID,
        "targetSourceId": "1-jr-demo",
        **overrides,
    }


def test_it_matches_a_brute_force_cosine_top_k_across_two_sources(
    anon: APIClient, tiny_model, reference
) -> None:
    response = anon.post(URL, _body(), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    query = reference.saes["1-res-demo"].W_dec.detach()[11]
    expected = reference.decoder_cossim(query, "1-jr-demo", 10)
    got = body["topk_decoder_cossim_features"]
    assert [g["feature"]["index"] for g in got] == [i for i, _ in expected]
    assert [g["cosine_similarity"] for g in got] == pytest.approx(
        [v for _, v in expected], abs=1e-5
    )
    assert {g["feature"]["source"] for g in got} == {"1-jr-demo"}
    assert body["feature"] == {"model": MODEL_ID, "source": "1-res-demo", "index": 11}


def test_the_same_source_finds_the_feature_itself_first(anon: APIClient, tiny_model) -> None:
    body = anon.post(URL, _body(targetSourceId="1-res-demo"), format="json").json()
    first = body["topk_decoder_cossim_features"][0]
    assert first["feature"]["index"] == 11
    assert first["cosine_similarity"] == pytest.approx(1.0, abs=1e-5)


def test_a_vector_is_compared_as_itself(anon: APIClient, tiny_model, reference) -> None:
    make_source(tiny_model, "1-neuronpedia-resid-pre", visibility="UNLISTED")
    vector = torch.randn(64, generator=torch.Generator().manual_seed(5))
    make_features(
        tiny_model,
        "1-neuronpedia-resid-pre",
        [95_000_002],
        has_vector=True,
        vector=vector.tolist(),
        hook_name="blocks.1.hook_resid_pre",
    )
    body = anon.post(
        URL, _body(source="1-neuronpedia-resid-pre", index="95000002"), format="json"
    ).json()
    expected = reference.decoder_cossim(vector, "1-jr-demo", 10)
    got = body["topk_decoder_cossim_features"]
    assert [g["feature"]["index"] for g in got] == [i for i, _ in expected]


def test_errors(anon: APIClient, tiny_model) -> None:
    assert anon.post(URL, _body(targetSourceId="4-res-demo"), format="json").status_code == 404
    assert anon.post(URL, _body(index="9999"), format="json").status_code == 404
    assert anon.post(URL, _body(targetModelId="nope"), format="json").status_code == 404
    assert anon.post(URL, _body(index="-1"), format="json").status_code == 400


@pytest.fixture(scope="module")
def twin_pack(tiny_pack, tmp_path_factory) -> TinyPack:
    """The same model with SAEs of other weights: an answer computed on the wrong worker (the
    source model's) cannot pass for the twin's."""
    return TinyPack(
        tiny_pack.model_dir, build_sae_root(tmp_path_factory.mktemp("twin-saes"), seed=2)
    )


@pytest.fixture(scope="module")
def twin_worker(twin_pack, django_db_setup, tmp_path_factory):
    """A second model, `tiny-twin`, on its own worker and queue."""
    process = spawn_worker(
        tmp_path_factory.mktemp("twin-log"),
        *("--model", TWIN, "--model-dir", str(twin_pack.model_dir)),
        *("--sae-dir", str(twin_pack.sae_root), "--device", "cpu", "--no-default-queue"),
        prefix="twin",
        wait=90,
    )
    yield process
    process.stop()


def test_across_models_the_vector_comes_from_one_worker_and_is_compared_on_the_other(
    anon: APIClient, tiny_model, reference, twin_pack, twin_worker
) -> None:
    twin = make_model(TWIN, layers=2, dimension=64)
    make_source(twin, "1-jr-demo")
    response = anon.post(URL, _body(targetModelId=TWIN), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    query = reference.saes["1-res-demo"].W_dec.detach()[11]  # from the source model's worker
    expected = Reference(twin_pack).decoder_cossim(query, "1-jr-demo", 10)  # on the twin's SAE
    wrong_worker = reference.decoder_cossim(query, "1-jr-demo", 10)
    assert [i for i, _ in expected] != [i for i, _ in wrong_worker]
    got = body["topk_decoder_cossim_features"]
    assert [g["feature"]["index"] for g in got] == [i for i, _ in expected]
    assert [g["cosine_similarity"] for g in got] == pytest.approx(
        [v for _, v in expected], abs=1e-5
    )
    assert {(g["feature"]["model"], g["feature"]["source"]) for g in got} == {(TWIN, "1-jr-demo")}
    assert body["feature"] == {"model": MODEL_ID, "source": "1-res-demo", "index": 11}
