"""The graph tasks' functions on CUDA (skipped without a CUDA device): the same graph as on the
CPU, and steering with ablation still changes the logits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workers.graphs.generate import GraphOptions, generate_graph
from workers.graphs.steer import SteerSettings, steer_logits

PROMPT = "The cat sat on the mat."


def _none(keys: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    return {}


@pytest.mark.gpu
def test_a_graph_on_cuda_matches_the_cpu_one(
    graph_model: Any, model_dir: Path, transcoder_root: Path
) -> None:
    from workers.graphs.replacement import load_graph_model
    from workers.sources import local_sae_dirs

    cuda = load_graph_model(model_dir, local_sae_dirs(transcoder_root), "tiny-demo", "cuda")
    on_gpu = generate_graph(cuda, PROMPT, None, "g", GraphOptions(), _none)
    on_cpu = generate_graph(graph_model, PROMPT, None, "g", GraphOptions(), _none)

    def logits(graph: dict[str, Any]) -> list[tuple[int, float]]:
        return [(n["feature"], n["token_prob"]) for n in graph["nodes"] if n["layer"] == "3"]

    assert [f for f, _ in logits(on_gpu)] == [f for f, _ in logits(on_cpu)]
    assert [p for _, p in logits(on_gpu)] == pytest.approx([p for _, p in logits(on_cpu)], 1e-3)
    feature = next(n for n in on_gpu["nodes"] if n["feature_type"] == "cross layer transcoder")
    layer, index, pos = map(int, feature["node_id"].split("_"))
    out = steer_logits(
        cuda,
        PROMPT,
        None,
        [
            {
                "layer": layer,
                "index": index,
                "token_active_position": pos,
                "steer_position": pos,
                "ablate": True,
            }
        ],
        SteerSettings(n_tokens=2),
    )
    assert out["DEFAULT_GENERATION"].startswith("<|endoftext|>")
