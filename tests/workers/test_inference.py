"""Activation queries: Neuronpedia semantics checked against brute-force references."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from tests.support.tiny_models import make_served
from workers import inference
from workers.errors import BadRequest, TokenLimitExceeded, UnknownFeature, UnknownSource

PROMPT = "The cat sat on the mat."


def _reference_acts(served: Any, text: str, source: str) -> torch.Tensor:
    """[d_sae, n_tokens] feature activations, computed the plain way."""
    model = served.model
    tokens = model.to_tokens(text, prepend_bos=False)
    hook = served.hook_name(source)
    _, cache = model.run_with_cache(tokens, names_filter=[hook])
    return served.get_sae(source).encode(cache[hook])[0].T.detach()


def _make_bos_only_feature(served: Any, source: str, feature: int) -> None:
    """Point `feature` of a Standard SAE at the BOS residual, biased so only BOS passes."""
    model = served.model
    hook = served.hook_name(source)
    tokens = model.to_tokens(PROMPT)
    _, cache = model.run_with_cache(tokens, names_filter=[hook])
    resid = cache[hook][0]
    direction = resid[0] / resid[0].norm()
    proj = resid @ direction
    assert proj[0] > proj[1:].max()  # precondition of the construction
    sae = served.get_sae(source)
    with torch.no_grad():
        sae.W_enc[:, feature] = direction
        sae.b_enc[feature] = -(proj[0] + proj[1:].max()) / 2


def test_tokenize_returns_ids_and_strings(served: Any) -> None:
    out = inference.tokenize(served, PROMPT)
    assert out["prepend_bos"] is True
    assert out["tokens"][0] == served.tokenizer.bos_token_id
    assert out["token_strings"][0] == "<|endoftext|>"
    assert "".join(out["token_strings"][1:]) == PROMPT
    assert inference.tokenize(served, PROMPT, prepend_bos=False)["tokens"] == out["tokens"][1:]


def test_activation_single_drops_bos_and_matches_encode(served: Any) -> None:
    out = inference.activation_single(served, PROMPT, "0-res-demo", 7)
    ref = _reference_acts(served, "<|endoftext|>" + PROMPT, "0-res-demo")[7, 1:].tolist()
    assert out["tokens"] == served.model.to_str_tokens(PROMPT, prepend_bos=False)
    assert out["activation"]["values"] == pytest.approx(ref, abs=1e-5)
    assert out["activation"]["max_value"] == pytest.approx(max(ref), abs=1e-5)
    assert out["activation"]["max_value_index"] == ref.index(max(ref))


def test_activation_single_unknown_source_and_feature_are_404(served: Any) -> None:
    with pytest.raises(UnknownSource) as error:
        inference.activation_single(served, PROMPT, "9-nope", 0)
    assert error.value.status_code == 404
    with pytest.raises(UnknownFeature) as missing:
        inference.activation_single(served, PROMPT, "0-res-demo", 10_000)
    assert missing.value.status_code == 404


def test_activation_vector_is_raw_dot_product(served: Any) -> None:
    hook = "blocks.1.hook_resid_pre"
    vector = torch.randn(served.model.cfg.d_model)
    out = inference.activation_vector(served, PROMPT, vector.tolist(), hook)
    _, cache = served.model.run_with_cache(served.model.to_tokens(PROMPT), names_filter=[hook])
    ref = (cache[hook][0] @ vector).tolist()
    assert out["activation"]["values"] == pytest.approx(ref, abs=1e-4)
    assert out["tokens"][0] == "<|endoftext|>"


def test_activation_vector_rejects_wrong_length_and_unknown_hook(served: Any) -> None:
    with pytest.raises(BadRequest):
        inference.activation_vector(served, PROMPT, [1.0, 2.0], "blocks.1.hook_resid_pre")
    with pytest.raises(BadRequest):
        inference.activation_vector(served, PROMPT, [1.0] * 64, "blocks.9.hook_nope")


def test_batch_variants_equal_single_calls(served: Any) -> None:
    prompts = [PROMPT, "A dog ran in the park today, and the cat sat.", "Hi"]
    batch = inference.activation_single_batch(served, prompts, "1-res-demo", 3)["results"]
    for prompt, got in zip(prompts, batch, strict=True):
        one = inference.activation_single(served, prompt, "1-res-demo", 3)
        assert got["tokens"] == one["tokens"]
        assert got["activation"]["values"] == pytest.approx(one["activation"]["values"], abs=1e-5)


def test_token_limit_error_names_counts(model_dir: Any, sae_root: Any, shared_model: Any) -> None:
    served = make_served(model_dir, sae_root, model=shared_model, token_limit=5)
    with pytest.raises(TokenLimitExceeded) as error:
        inference.activations_all(served, PROMPT, "res-demo")
    n = len(served.model.to_tokens(PROMPT)[0])
    assert error.value.message == f"Text too long: {n} tokens, max is 5"
    assert error.value.status_code == 400


def test_activations_all_matches_brute_force_ranking(served: Any) -> None:
    out = inference.activations_all(served, PROMPT, "res-demo", num_results=20)
    text = "<|endoftext|>" + PROMPT
    rows = []
    for source in ("0-res-demo", "1-res-demo"):
        acts = _reference_acts(served, text, source)
        acts[:, 0] = 0
        for index in range(acts.shape[0]):
            rows.append((float(acts[index].max()), source, index))
    rows.sort(key=lambda r: -r[0])
    got = [(a["max_value"], a["source"], a["index"]) for a in out["activations"]]
    assert [g[1:] for g in got] == [r[1:] for r in rows[:20]]
    assert [g[0] for g in got] == pytest.approx([r[0] for r in rows[:20]], abs=1e-5)
    assert out["tokens"][0] == "<|endoftext|>"
    first = out["activations"][0]
    assert len(first["values"]) == len(out["tokens"])
    assert first["values"][0] == 0.0
    assert first["sum_values"] == 0.0
    assert len(out["counts"]) == 2 and len(out["counts"][0]) == len(out["tokens"])


def test_ignore_bos_drops_a_bos_only_feature(served: Any) -> None:
    _make_bos_only_feature(served, "0-res-demo", 5)
    kwargs: dict[str, Any] = {"selected_sources": ["0-res-demo"], "num_results": 1000}
    with_bos = inference.activations_all(served, PROMPT, "res-demo", ignore_bos=False, **kwargs)
    hit = [a for a in with_bos["activations"] if a["index"] == 5][0]
    assert hit["max_value"] > 0 and hit["max_value_index"] == 0
    assert sum(hit["values"][1:]) == 0
    no_bos = inference.activations_all(served, PROMPT, "res-demo", ignore_bos=True, **kwargs)
    hit = [a for a in no_bos["activations"] if a["index"] == 5][0]
    assert hit["max_value"] == 0.0
    assert no_bos["counts"][0][0] == 0


def test_sort_by_token_indexes_uses_sums(served: Any) -> None:
    out = inference.activations_all(
        served, PROMPT, "res-demo", selected_sources=["1-res-demo"], sort_by_token_indexes=[2, 3]
    )
    acts = _reference_acts(served, "<|endoftext|>" + PROMPT, "1-res-demo")
    acts[:, 0] = 0
    sums = acts[:, [2, 3]].sum(dim=1)
    expected = torch.sort(sums, descending=True, stable=True).indices[:25].tolist()
    assert [a["index"] for a in out["activations"]] == expected
    assert [a["sum_values"] for a in out["activations"]] == pytest.approx(
        sums[expected].tolist(), abs=1e-5
    )


def test_feature_filter_keeps_only_listed_features(served: Any) -> None:
    out = inference.activations_all(
        served,
        PROMPT,
        "res-demo",
        selected_sources=["0-res-demo"],
        feature_filter=[3, 9, 17],
        num_results=5,
    )
    nonzero = [a for a in out["activations"] if a["max_value"] > 0]
    assert {a["index"] for a in nonzero} <= {3, 9, 17}
    assert {a["index"] for a in out["activations"][:3]} == {3, 9, 17}


def test_feature_filter_needs_one_source(served: Any) -> None:
    with pytest.raises(BadRequest, match="single layer"):
        inference.activations_all(served, PROMPT, "res-demo", feature_filter=[1])


def test_out_of_range_sort_index_is_an_error(served: Any) -> None:
    with pytest.raises(BadRequest, match="out of range"):
        inference.activations_all(served, PROMPT, "res-demo", sort_by_token_indexes=[999])


def test_unknown_source_set_is_404(served: Any) -> None:
    with pytest.raises(UnknownSource):
        inference.activations_all(served, PROMPT, "nope-set")


def test_activations_all_many_equals_sequential(served: Any) -> None:
    requests: list[dict[str, Any]] = [
        {"prompt": PROMPT, "source_set": "res-demo"},
        {"prompt": "A dog ran in the park today.", "source_set": "jr-demo", "num_results": 7},
        {"prompt": "Hi", "source_set": "res-demo", "sort_by_token_indexes": [1]},
        {"prompt": "Paris is the capital", "source_set": "res-demo", "ignore_bos": False},
        {"prompt": "x", "source_set": "res-demo", "sort_by_token_indexes": [50]},  # error
        {
            "prompt": "The quick brown fox jumps over the lazy dog again and again.",
            "source_set": "res-demo",
            "selected_sources": ["1-res-demo"],
            "feature_filter": [1, 2, 3],
        },
    ]
    batched = inference.activations_all_many(served, requests)
    assert isinstance(batched[4], BadRequest)
    for request, got in zip(requests, batched, strict=True):
        if not isinstance(got, dict):
            continue
        one = inference.activations_all(served, **request)
        assert got["tokens"] == one["tokens"]
        assert got["counts"] == one["counts"]
        assert [(a["source"], a["index"]) for a in got["activations"]] == [
            (a["source"], a["index"]) for a in one["activations"]
        ]
        for a, b in zip(got["activations"], one["activations"], strict=True):
            assert a["values"] == pytest.approx(b["values"], abs=1e-5)
            assert a["max_value"] == pytest.approx(b["max_value"], abs=1e-5)


def test_activations_all_batch_wraps_results(served: Any) -> None:
    out = inference.activations_all_batch(served, [PROMPT, "Hi"], "res-demo", num_results=3)
    assert len(out["results"]) == 2
    assert all(len(r["activations"]) == 3 for r in out["results"])


def test_topk_by_token_drops_bos_and_renumbers(served: Any) -> None:
    out = inference.topk_by_token(served, PROMPT, "1-res-demo", top_k=3, ignore_bos=True)
    tokens = served.model.to_str_tokens(PROMPT, prepend_bos=False)
    assert out["tokens"] == tokens
    assert [r["token_position"] for r in out["results"]] == list(range(len(tokens)))
    acts = _reference_acts(served, "<|endoftext|>" + PROMPT, "1-res-demo")
    first = out["results"][0]
    assert first["is_special"] is False
    ref_values, ref_indices = torch.topk(acts[:, 1], 3)
    assert [f["feature_index"] for f in first["top_features"]] == ref_indices.tolist()
    kept = inference.topk_by_token(served, PROMPT, "1-res-demo", top_k=3, ignore_bos=False)
    assert kept["results"][0]["token"] == "<|endoftext|>"
    assert kept["results"][0]["is_special"] is True


def test_source_activations_are_sparse_and_skip_bos(served: Any) -> None:
    out = inference.source_activations(served, [PROMPT], "1-res-demo")["results"][0]
    acts = _reference_acts(served, "<|endoftext|>" + PROMPT, "1-res-demo")
    expected: dict[str, list[list[float]]] = {}
    for feature, token in acts.nonzero().tolist():
        if token > 0:
            value = round(float(acts[feature, token]), 3)
            expected.setdefault(str(feature), []).append([token, value])
    assert out["activeFeatures"].keys() == expected.keys()
    for key, pairs in expected.items():
        got = out["activeFeatures"][key]
        assert [p[0] for p in got] == [p[0] for p in pairs]
        assert [p[1] for p in got] == pytest.approx([p[1] for p in pairs], abs=2e-3)


def test_decoder_cossim_topk_matches_brute_force(served: Any) -> None:
    out = inference.decoder_cossim_topk(served, "1-res-demo", num_results=6, feature_index=11)
    w = served.get_sae("1-res-demo").W_dec.detach()
    sims = [float(torch.nn.functional.cosine_similarity(w[11], row, dim=0)) for row in w]
    expected = sorted(range(len(sims)), key=lambda i: -sims[i])[:6]
    got = out["topk_decoder_cossim_features"]
    assert [g["feature"]["index"] for g in got] == expected
    assert got[0]["feature"]["index"] == 11
    assert [g["cosine_similarity"] for g in got] == pytest.approx(
        [sims[i] for i in expected], abs=1e-5
    )
    assert out["feature"] == {"model": "tiny-demo", "source": "1-res-demo", "index": 11}


def test_decoder_cossim_handles_nan_rows_and_vectors(served: Any) -> None:
    sae = served.get_sae("0-res-demo")
    with torch.no_grad():
        sae.W_dec[4] = math.nan
    vector = sae.W_dec[2].tolist()
    out = inference.decoder_cossim_topk(
        served, "0-res-demo", num_results=D_ALL, vector=vector, target_source="0-res-demo"
    )
    got = out["topk_decoder_cossim_features"]
    assert got[0]["feature"]["index"] == 2
    assert got[-1]["feature"]["index"] == 4
    assert "feature" not in out
    with pytest.raises(BadRequest):
        inference.decoder_cossim_topk(served, "0-res-demo", feature_index=1, vector=vector)


D_ALL = 256


def test_feature_vector_is_the_decoder_row(served: Any) -> None:
    out = inference.feature_vector(served, "1-jr-demo", 8)
    sae = served.get_sae("1-jr-demo")
    assert out["vector"] == pytest.approx(sae.W_dec[8].tolist())
    assert out["hookName"] == "blocks.1.hook_resid_post"
