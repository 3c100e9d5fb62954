"""The dashboards job on CUDA writes the export the CPU job writes (skipped without CUDA)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from neuronpedia_format import export as fmt
from tests.support.demo_exports import SOURCE, small_config
from workers.dashboards import generate_dashboards

pytestmark = pytest.mark.gpu


def test_dashboards_on_cuda_match_the_cpu_job(
    tmp_path: Path, small_export: tuple[Any, Any]
) -> None:
    cpu_config, cpu_result = small_export
    config = small_config(tmp_path / "cuda", device="cuda")
    result = generate_dashboards(config, progress=False)
    assert (result.rows, result.tokens, result.features) == (
        cpu_result.rows,
        cpu_result.tokens,
        cpu_result.features,
    )
    want = fmt.read_source_export(cpu_config.out, "demo-lm", SOURCE)
    got = fmt.read_source_export(config.out, "demo-lm", SOURCE)
    assert [f["index"] for f in got.features] == [f["index"] for f in want.features]
    for index in range(0, 512, 7):
        g, w = got.feature(index), want.feature(index)
        assert g["maxActApprox"] == pytest.approx(w["maxActApprox"], rel=1e-3, abs=1e-3)
        assert g["frac_nonzero"] == pytest.approx(
            w["frac_nonzero"], abs=5e-4
        )  # a token or two at the threshold
        assert g["pos_str"][:3] == w["pos_str"][:3]
        assert g["topkCosSimIndices"][:3] == w["topkCosSimIndices"][:3]
        if w["maxActApprox"] > 0:
            top_g = max(got.activations_of(index), key=lambda a: a["maxValue"])
            top_w = max(want.activations_of(index), key=lambda a: a["maxValue"])
            assert (
                top_g["tokens"][top_g["maxValueTokenIndex"]]
                == (top_w["tokens"][top_w["maxValueTokenIndex"]])
            )
