"""A small valid attribution graph built by hand (the shape `graphs/schema` checks and
circuit-tracer's viewer reads), and helpers to upload one."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

GRAPH_MODEL = "graph-lm"
GRAPH_SET = "tc-demo"
TOKENS = ["<bos>", "The", " cat", " sat"]


def make_graph(
    model_id: str = GRAPH_MODEL, slug: str = "cat-sat", layers: int = 2
) -> dict[str, Any]:
    """Embeddings for each token, one transcoder feature per layer at the last position, an
    error node and one logit; links from each node to the next layer's."""
    last = len(TOKENS) - 1
    nodes: list[dict[str, Any]] = []
    for pos, token in enumerate(TOKENS):
        nodes.append(
            _node(
                f"E_{100 + pos}_{pos}",
                pos,
                "E",
                pos,
                "embedding",
                f"E_{100 + pos}-{pos}",
                f'Emb: "{token}"',
            )
        )
    for layer in range(layers):
        index = 3 + layer
        nodes.append(
            _node(
                f"{layer}_{index}_{last}",
                cantor_pair(layer, index),  # schema_version 1, as circuit-tracer writes it
                str(layer),
                last,
                "cross layer transcoder",
                f"{layer}_{index}-0",
                f"layer {layer} cats",
                influence=0.5 - 0.1 * layer,
                activation=1.5 + layer,
            )
        )
    nodes.append(_node(f"0_1_{last}", -1, "1", last, "mlp reconstruction error", f"1_{last}-0", ""))
    nodes.append(
        _node(
            f"{layers + 1}_42_{last}",
            42,
            str(layers + 1),
            last,
            "logit",
            f"L_42-{last}",
            'Output " on" (p=0.512)',
        )
    )
    ids = [n["node_id"] for n in nodes]
    links = [
        {"source": ids[i], "target": ids[i + 1], "weight": 0.25 + 0.05 * i}
        for i in range(len(ids) - 1)
    ]
    return {
        "metadata": {
            "slug": slug,
            "scan": model_id,
            "prompt_tokens": TOKENS,
            "prompt": "".join(TOKENS[1:]),
            "node_threshold": 0.8,
            "schema_version": 1,
            "feature_details": {"neuronpedia_source_set": GRAPH_SET},
            "info": {
                "creator_name": "tests",
                "generator": {"name": "tests/support/graphs.py"},
                # incompressible text: the gzip body must reach upstream's 1024-byte minimum
                "description": _noise(2048),
            },
        },
        "qParams": {
            "pinnedIds": [],
            "supernodes": [],
            "linkType": "both",
            "clickedId": "",
            "sg_pos": "",
        },
        "nodes": nodes,
        "links": links,
    }


def cantor_pair(layer: int, index: int) -> int:
    """A transcoder node's `feature` in graph schema 1 (circuit-tracer's Cantor pairing)."""
    return (layer + index) * (layer + index + 1) // 2 + index


def _noise(n: int) -> str:
    out = ""
    seed = b"graph"
    while len(out) < n:
        seed = hashlib.sha256(seed).digest()
        out += seed.hex()
    return out[:n]


def _node(
    node_id: str,
    feature: int,
    layer: str,
    ctx: int,
    kind: str,
    js: str,
    clerp: str,
    influence: float | None = None,
    activation: float | None = None,
) -> dict[str, Any]:
    return {
        "node_id": node_id,
        "feature": feature,
        "layer": layer,
        "ctx_idx": ctx,
        "feature_type": kind,
        "jsNodeId": js,
        "clerp": clerp,
        "influence": influence,
        "activation": activation,
    }


def write_graph_file(directory: Path, graph: dict[str, Any]) -> Path:
    path = directory / f"{graph['metadata']['slug']}.json"
    path.write_text(json.dumps(graph))
    return path


def gzipped(graph: dict[str, Any]) -> bytes:
    return gzip.compress(json.dumps(graph).encode())


GRAPH_TASKS_MISSING = (
    "the graph worker tasks (workers/tasks/graphs.py: generate_graph, forward_pass, "
    "steer_logits) are not registered on this branch"
)


def require_graph_tasks() -> None:
    """Skip a test that needs the graph worker on a checkout without its tasks, but fail it
    in CI (`CI=true`), where a missing worker side must not pass for a green run."""
    import importlib.util

    from tests.support.browser import in_ci

    if importlib.util.find_spec("workers.tasks.graphs") is not None:
        return
    if in_ci():
        pytest.fail(GRAPH_TASKS_MISSING)
    pytest.skip(GRAPH_TASKS_MISSING)
