"""The runtime on CUDA in bfloat16 answers like float32 on the CPU (skipped without CUDA)."""

from __future__ import annotations

import pytest

from tests.inference.conftest import TEXT, TinyPack
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
