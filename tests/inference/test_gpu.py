"""The runtime on CUDA in bfloat16 answers like float32 on the CPU (skipped without CUDA)."""

from __future__ import annotations

import pytest

from tests.support.inference import TEXT, TinyPack
from workers import inference
from workers.runtime import RuntimeConfig, ServedModel

pytestmark = pytest.mark.gpu


def _served(pack: TinyPack, device: str, dtype: str) -> ServedModel:
    return ServedModel(
        RuntimeConfig(
            model_id="tiny-demo",
            model_dir=str(pack.model_dir),
            sae_dirs=str(pack.sae_root),
            device=device,
            model_dtype=dtype,
            sae_dtype=dtype,
        )
    )


def test_search_all_on_cuda_bf16_matches_cpu_fp32(tiny_pack: TinyPack) -> None:
    cpu = _served(tiny_pack, "cpu", "float32")
    gpu = _served(tiny_pack, "auto", "bfloat16")
    assert gpu.device == "cuda"
    want = inference.activations_all(cpu, TEXT, "res-demo", num_results=5)
    got = inference.activations_all(gpu, TEXT, "res-demo", num_results=5)
    assert got["tokens"] == want["tokens"]
    assert [a["max_value"] for a in got["activations"]] == pytest.approx(
        [a["max_value"] for a in want["activations"]], rel=0.05, abs=0.05
    )
    vector = [0.1] * 64
    dots = inference.activation_vector(gpu, TEXT, vector, "blocks.1.hook_resid_pre")
    ref = inference.activation_vector(cpu, TEXT, vector, "blocks.1.hook_resid_pre")
    assert dots["activation"]["values"] == pytest.approx(
        ref["activation"]["values"], rel=0.05, abs=0.05
    )


def test_batched_search_on_cuda_float16_matches_one_at_a_time_on_cpu(
    tiny_pack: TinyPack,
) -> None:
    from tests.support.inference import TEXTS

    cpu = _served(tiny_pack, "cpu", "float32")
    gpu = _served(tiny_pack, "cuda", "float16")
    requests = [{"prompt": t, "source_set": "res-demo", "num_results": 5} for t in TEXTS]
    batched = inference.activations_all_many(gpu, requests)
    for text, got in zip(TEXTS, batched, strict=True):
        assert isinstance(got, dict), got
        want = inference.activations_all(cpu, text, "res-demo", num_results=5)
        assert got["tokens"] == want["tokens"]
        assert [a["max_value"] for a in got["activations"]] == pytest.approx(
            [a["max_value"] for a in want["activations"]], rel=0.02, abs=0.02
        )


def test_topk_by_token_and_cossim_on_cuda_match_cpu(tiny_pack: TinyPack) -> None:
    cpu = _served(tiny_pack, "cpu", "float32")
    gpu = _served(tiny_pack, "cuda", "float32")
    got = inference.topk_by_token(gpu, TEXT, "1-res-demo", top_k=3)
    want = inference.topk_by_token(cpu, TEXT, "1-res-demo", top_k=3)
    assert [r["token"] for r in got["results"]] == [r["token"] for r in want["results"]]
    for g, w in zip(got["results"], want["results"], strict=True):
        assert [f["activation_value"] for f in g["top_features"]] == pytest.approx(
            [f["activation_value"] for f in w["top_features"]], rel=1e-3, abs=1e-4
        )
    sims = inference.decoder_cossim_topk(gpu, "1-res-demo", num_results=5, feature_index=3)
    ref = inference.decoder_cossim_topk(cpu, "1-res-demo", num_results=5, feature_index=3)
    got_idx = [f["feature"]["index"] for f in sims["topk_decoder_cossim_features"]]
    want_idx = [f["feature"]["index"] for f in ref["topk_decoder_cossim_features"]]
    assert got_idx == want_idx
