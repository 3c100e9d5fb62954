"""The /v1 inference server contract, driven by the PyPI `neuronpedia-inference-client` against a
live server, plus its error and casing rules through the test client."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from tests.support.factories import make_model, make_source
from tests.support.inference import BOS_FEATURE, BOS_SOURCE, LONG_TEXT, MODEL_ID, TEXT, TEXTS

pytestmark = pytest.mark.usefixtures("worker")
SECRET = django_settings.INFERENCE_SECRET  # tests.settings: the deployment's secret


@pytest.fixture
def secret(settings: Any) -> str:
    settings.INFERENCE_SECRET = SECRET
    return SECRET


@pytest.fixture
def inference_api(live_server: Any, secret: str) -> Any:
    from neuronpedia_inference_client import ApiClient, Configuration, DefaultApi

    config = Configuration(host=live_server.url + "/v1", api_key={"SimpleSecretAuth": secret})
    return DefaultApi(ApiClient(config))


def test_the_inference_client_works_unchanged(inference_api: Any, reference: Any) -> None:
    import neuronpedia_inference_client as npi

    tokens = inference_api.tokenize_post(npi.TokenizePostRequest(model=MODEL_ID, text=TEXT))
    assert tokens.tokens == reference.model.to_tokens(TEXT)[0].tolist()
    assert tokens.prepend_bos is True

    single = inference_api.activation_single_post(
        npi.ActivationSinglePostRequest(prompt=TEXT, model=MODEL_ID, source="1-jr-demo", index="7")
    )
    expected = reference.acts(TEXT, "1-jr-demo")[1:, 7].tolist()
    assert single.activation.values == pytest.approx(expected, abs=1e-4)
    assert single.tokens_is_special == [False] * len(expected)

    hook = "blocks.0.hook_resid_pre"
    vector = torch.randn(64, generator=torch.Generator().manual_seed(9))
    by_vector = inference_api.activation_single_post(
        npi.ActivationSinglePostRequest(
            prompt=TEXT, model=MODEL_ID, vector=vector.tolist(), hook=hook
        )
    )
    assert by_vector.activation.values == pytest.approx(
        (reference.resid(TEXT, hook) @ vector).tolist(), abs=1e-4
    )

    batch = inference_api.activation_single_batch_post(
        npi.ActivationSingleBatchPostRequest(
            prompts=TEXTS[:2], model=MODEL_ID, source="0-res-demo", index="3"
        )
    )
    assert len(batch.results) == 2

    everything = inference_api.activation_all_post(
        npi.ActivationAllPostRequest(
            prompt=TEXT,
            model=MODEL_ID,
            source_set="res-demo",
            selected_sources=[],
            sort_by_token_indexes=[],
            ignore_bos=True,
            num_results=10,
        )
    )
    want = reference.search(TEXT, ["0-res-demo", "1-res-demo"], num_results=10)
    assert [(a.source, a.index) for a in everything.activations] == [
        (r["source"], r["index"]) for r in want
    ]
    assert everything.tokens[0] == "<|endoftext|>"
    assert len(everything.counts) == 2 and len(everything.counts[0]) == len(everything.tokens)

    batch_all = inference_api.activation_all_batch_post(
        npi.ActivationAllBatchPostRequest(
            prompts=TEXTS[:3],
            model=MODEL_ID,
            source_set="res-demo",
            selected_sources=["1-res-demo"],
            sort_by_token_indexes=[1],
            ignore_bos=False,
            num_results=3,
        )
    )
    assert [len(r.activations) for r in batch_all.results] == [3, 3, 3]

    topk = inference_api.activation_topk_by_token_post(
        npi.ActivationTopkByTokenPostRequest(
            prompt=TEXT, model=MODEL_ID, source="1-res-demo", top_k=2, ignore_bos=True
        )
    )
    assert [r.token_position for r in topk.results] == list(range(len(topk.tokens)))
    assert all(len(r.top_features) == 2 for r in topk.results)

    topk_batch = inference_api.activation_topk_by_token_batch_post(
        npi.ActivationTopkByTokenBatchPostRequest(
            prompts=TEXTS[:2], model=MODEL_ID, source="1-res-demo", ignore_bos=False
        )
    )
    assert topk_batch.results[0].results[0].is_special is True
    assert len(topk_batch.results[0].results[0].top_features) == 5  # the contract's default

    source = inference_api.activation_source_post(
        npi.ActivationSourcePostRequest(prompts=[TEXT], model=MODEL_ID, source="1-res-demo")
    )
    assert source.results[0].active_features

    sae_vector = inference_api.util_sae_vector_post(
        npi.UtilSaeVectorPostRequest(model=MODEL_ID, source="1-jr-demo", index=8)
    )
    assert sae_vector.hook_name == "blocks.1.hook_resid_post"
    assert sae_vector.vector == pytest.approx(
        reference.saes["1-jr-demo"].W_dec[8].tolist(), abs=1e-6
    )

    cossim = inference_api.util_sae_topk_by_decoder_cossim_post(
        npi.UtilSaeTopkByDecoderCossimPostRequest(
            feature=npi.NPFeature(model=MODEL_ID, source="1-res-demo", index=11),
            model=MODEL_ID,
            source="1-jr-demo",
            num_results=500,
        )
    )
    query = reference.saes["1-res-demo"].W_dec.detach()[11]
    expected_cos = reference.decoder_cossim(query, "1-jr-demo", 128)  # clamped to 128
    assert [f.feature.index for f in cossim.topk_decoder_cossim_features] == [
        i for i, _ in expected_cos
    ]
    assert cossim.feature.index == 11


def test_a_wrong_secret_is_a_401(inference_api: Any, live_server: Any) -> None:
    from neuronpedia_inference_client import ApiClient, Configuration, DefaultApi
    from neuronpedia_inference_client.exceptions import UnauthorizedException
    from neuronpedia_inference_client.models import TokenizePostRequest

    wrong = DefaultApi(
        ApiClient(Configuration(host=live_server.url + "/v1", api_key={"SimpleSecretAuth": "nope"}))
    )
    with pytest.raises(UnauthorizedException) as info:
        wrong.tokenize_post(TokenizePostRequest(model=MODEL_ID, text=TEXT))
    assert "Invalid or missing X-SECRET-KEY header" in info.value.body


# -- the same contract through the test client (no live server, no transactional DB) ----------


def _post(client: APIClient, path: str, body: dict[str, Any], secret: str | None = SECRET) -> Any:
    headers: dict[str, Any] = {"HTTP_X_SECRET_KEY": secret} if secret else {}
    return client.post(f"/v1/{path}", body, format="json", **headers)


def test_health_is_open(anon: APIClient, secret: str) -> None:
    assert anon.get("/v1/health").json() == {"status": "healthy"}


@pytest.mark.django_db  # the contract checks what anonymous callers may see
def test_the_secret_is_required_when_set(anon: APIClient, secret: str) -> None:
    body = {"model": MODEL_ID, "text": TEXT}
    response = _post(anon, "tokenize", body, secret=None)
    assert response.status_code == 401
    assert response.json()["error"] == "Invalid or missing X-SECRET-KEY header"
    assert _post(anon, "tokenize", body, secret).status_code == 200


@pytest.mark.django_db  # the contract checks what anonymous callers may see
def test_without_a_secret_the_contract_is_closed_and_says_how_to_open_it(
    anon: APIClient, settings: Any
) -> None:
    settings.INFERENCE_SECRET = ""
    response = _post(anon, "tokenize", {"model": MODEL_ID, "text": TEXT})
    assert response.status_code == 503
    assert "INFERENCE_SECRET" in response.json()["error"]
    assert anon.get("/v1/health").json() == {"status": "healthy"}


@pytest.mark.django_db  # the contract checks what anonymous callers may see
def test_camel_case_bodies_are_accepted(anon: APIClient, reference: Any) -> None:
    body = {
        "prompt": TEXT,
        "model": MODEL_ID,
        "sourceSet": "res-demo",
        "selectedSources": [BOS_SOURCE],
        "sortByTokenIndexes": [],
        "ignoreBos": False,
        "numResults": 3,
    }
    response = _post(anon, "activation/all", body)
    assert response.status_code == 200, response.json()
    top = response.json()["activations"][0]
    assert (top["source"], top["index"], top["max_value_index"]) == (BOS_SOURCE, BOS_FEATURE, 0)


@pytest.mark.django_db  # the contract checks what anonymous callers may see
def test_feature_filter_keeps_only_the_listed_features(anon: APIClient, reference: Any) -> None:
    wanted = [3, 40, 77, 200]
    body = {
        "prompt": TEXT,
        "model": MODEL_ID,
        "source_set": "res-demo",
        "selected_sources": ["1-res-demo"],
        "feature_filter": wanted,
        "num_results": 10,
    }
    activations = _post(anon, "activation/all", body).json()["activations"]
    expected = reference.search(TEXT, ["1-res-demo"], num_results=10, feature_filter=wanted)
    assert [a["index"] for a in activations] == [r["index"] for r in expected]
    assert {a["index"] for a in activations if a["max_value"] > 0} <= set(wanted)
    body["selected_sources"] = []
    assert _post(anon, "activation/all", body).status_code == 400  # one source only


@pytest.mark.django_db
def test_errors(anon: APIClient) -> None:
    unknown = _post(anon, "tokenize", {"model": "nope", "text": TEXT})
    assert unknown.status_code == 400 and unknown.json()["error"] == "Unsupported model"
    make_model("gpt2-small")
    missing = _post(anon, "tokenize", {"model": "gpt2-small", "text": TEXT})
    assert missing.status_code == 503 and "inference.gpt2-small" in missing.json()["error"]
    body = {"prompt": TEXT, "model": MODEL_ID, "source": "7-res-demo", "index": "1"}
    assert _post(anon, "activation/single", body).status_code == 404
    body = {"prompt": TEXT, "model": MODEL_ID, "source": "1-res-demo", "index": "100000"}
    assert _post(anon, "activation/single", body).status_code == 404
    both = {**body, "index": "1", "vector": [0.0] * 64, "hook": "blocks.0.hook_resid_pre"}
    assert _post(anon, "activation/single", both).status_code == 400
    too_long = {"prompt": LONG_TEXT, "model": MODEL_ID, "source": "1-res-demo", "index": "1"}
    response = _post(anon, "activation/single", too_long)
    assert response.status_code == 400 and response.json()["error"].startswith("Text too long")
    cossim = {"model": MODEL_ID, "source": "1-res-demo", "num_results": 5}
    assert _post(anon, "util/sae-topk-by-decoder-cossim", cossim).status_code == 400
    bad = {"prompt": TEXT, "model": MODEL_ID, "source_set": "res-demo", "ignore_bos": "yes"}
    assert _post(anon, "activation/all", bad).status_code == 400


@pytest.mark.django_db
def test_a_hidden_model_or_source_answers_like_an_unknown_one(anon: APIClient) -> None:
    unknown = _post(anon, "tokenize", {"model": "nope", "text": TEXT})
    model = make_model(MODEL_ID, visibility="PRIVATE")
    hidden = _post(anon, "tokenize", {"model": MODEL_ID, "text": TEXT})
    assert (hidden.status_code, hidden.json()) == (unknown.status_code, unknown.json())
    assert hidden.json()["error"] == "Unsupported model"

    model.visibility = "PUBLIC"
    model.save()
    make_source(model, "1-res-demo", visibility="PRIVATE")
    body = {"prompt": TEXT, "model": MODEL_ID, "index": "1"}
    hidden_source = _post(anon, "activation/single", {**body, "source": "1-res-demo"})
    missing_source = _post(anon, "activation/single", {**body, "source": "7-res-demo"})
    assert (hidden_source.status_code, missing_source.status_code) == (404, 404)
    assert hidden_source.json()["error"] == "Source not found: 1-res-demo"
    assert missing_source.json()["error"] == "Source not found: 7-res-demo"
    assert _post(anon, "activation/single", {**body, "source": "0-res-demo"}).status_code == 200


@pytest.mark.django_db
def test_a_search_of_a_set_never_ranks_its_hidden_member(anon: APIClient) -> None:
    body = {"prompt": TEXT, "model": MODEL_ID, "source_set": "res-demo", "num_results": 20}
    before = {a["source"] for a in _post(anon, "activation/all", body).json()["activations"]}
    assert "1-res-demo" in before
    make_source(make_model(MODEL_ID), "1-res-demo", visibility="PRIVATE")
    after = _post(anon, "activation/all", body)
    assert after.status_code == 200
    ranked = {a["source"] for a in after.json()["activations"]}
    assert ranked and "1-res-demo" not in ranked
