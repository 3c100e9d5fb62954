"""`generate_graph`: circuit-tracer's `attribute`, pruning, and the graph JSON upstream's graph
server returns, with each feature node's `clerp` filled from our explanations.

The JSON is built with circuit-tracer's own graph-file machinery (`create_nodes`,
`create_used_nodes_and_edges`, `build_model` from `utils.create_graph_files`, as upstream's
server does), given our local tokenizer, so nothing is written to disk or fetched. Node `feature`
values are circuit-tracer's (schema_version 1: the Cantor pairing of layer and index, which
upstream's viewer decodes); the node id `{layer}_{index}_{ctx}` names the feature directly.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from typing import Any

from workers.errors import BadRequest
from workers.graphs.prompts import graph_prompt
from workers.graphs.pruning import prune_graph
from workers.graphs.replacement import GraphModel

FEATURE_NODE_TYPE = "cross layer transcoder"  # circuit-tracer's name for every transcoder node


@dataclass(frozen=True)
class GraphOptions:
    """`attribute` and pruning options with the graph server's defaults (autointerp-graphs §4)."""

    max_n_logits: int = 10
    desired_logit_prob: float = 0.95
    node_threshold: float = 0.8
    edge_threshold: float = 0.98
    max_feature_nodes: int = 10000
    batch_size: int = 48

    def __post_init__(self) -> None:
        checks = (
            ("max_n_logits", 1 <= self.max_n_logits <= 100),
            ("desired_logit_prob", 0 < self.desired_logit_prob <= 1),
            ("node_threshold", 0 < self.node_threshold <= 1),
            ("edge_threshold", 0 < self.edge_threshold <= 1),
            ("max_feature_nodes", 1 <= self.max_feature_nodes <= 100_000),
            ("batch_size", 1 <= self.batch_size <= 4096),
        )
        for name, ok in checks:
            if not ok:
                raise BadRequest(f"{name} is out of range: {getattr(self, name)}")


def attribute_prompt(graph_model: GraphModel, ids: list[int], options: GraphOptions) -> Any:
    """The raw circuit-tracer `Graph` of a tokenised prompt (what the bench times)."""
    import torch
    from circuit_tracer import attribute

    with graph_model.lock:
        return attribute(
            torch.tensor(ids, dtype=torch.long),
            graph_model.model,
            max_n_logits=options.max_n_logits,
            desired_logit_prob=options.desired_logit_prob,
            batch_size=options.batch_size,
            max_feature_nodes=options.max_feature_nodes,
        )


def graph_json(
    graph_model: GraphModel, graph: Any, slug: str, options: GraphOptions
) -> dict[str, Any]:
    """Prune `graph` (circuit-tracer's pruning, `workers.graphs.pruning`) and write it as
    upstream's graph JSON (clerps still empty)."""
    from circuit_tracer.utils.create_graph_files import (
        build_model,
        create_nodes,
        create_used_nodes_and_edges,
    )

    device = graph_model.model.cfg.device
    graph.to(device)
    node_mask, edge_mask, cumulative = (
        t.cpu() for t in prune_graph(graph, options.node_threshold, options.edge_threshold)
    )
    graph.to("cpu")
    tokenizer = graph_model.tokenizer
    nodes = create_nodes(graph, node_mask, tokenizer, cumulative)
    used_nodes, used_edges = create_used_nodes_and_edges(graph, nodes, edge_mask)
    model = build_model(
        graph, used_nodes, used_edges, slug, graph_model.model_id, options.node_threshold, tokenizer
    )
    out: dict[str, Any] = model.model_dump()
    settings = asdict(options)
    out["metadata"].update(
        {
            "feature_details": {"neuronpedia_source_set": graph_model.source_set},
            "info": _info(graph_model),
            "generation_settings": {
                k: settings[k]
                for k in ("max_n_logits", "desired_logit_prob", "batch_size", "max_feature_nodes")
            },
            "pruning_settings": {
                "node_threshold": options.node_threshold,
                "edge_threshold": options.edge_threshold,
            },
        }
    )
    return out


@functools.cache
def _generator_version() -> str:
    """circuit-tracer's installed version, read once: `importlib.metadata` searches the
    `sys.path` directories for it on every call (0.6 ms, and up to 13 ms when one of them has
    changed since)."""
    return version("circuit-tracer")


def _info(graph_model: GraphModel) -> dict[str, Any]:
    return {
        "creator_name": "Anonymous (CT)",
        "creator_url": "",
        "source_urls": [
            f"{graph_model.model_id}/{source}" for _, source in sorted(graph_model.sources.items())
        ],
        "transcoder_set": graph_model.source_set,
        "generator": {
            "name": "circuit-tracer",
            "version": _generator_version(),
            "url": "https://github.com/safety-research/circuit-tracer",
        },
        "create_time_ms": int(time.time() * 1000),
    }


def feature_key(node: dict[str, Any]) -> tuple[int, int] | None:
    """(layer, transcoder index) of a feature node, from its `{layer}_{index}_{ctx}` id."""
    if node.get("feature_type") != FEATURE_NODE_TYPE:
        return None
    layer, index, _ = str(node["node_id"]).split("_")
    return int(layer), int(index)


def fill_clerps(
    graph: dict[str, Any],
    sources: dict[int, str],
    explanations: Callable[[list[tuple[str, int]]], dict[tuple[str, int], str]],
) -> int:
    """Set each feature node's `clerp` to its feature's explanation; returns how many got one."""
    keyed = [(node, key) for node in graph["nodes"] if (key := feature_key(node)) is not None]
    wanted = sorted({(sources[layer], index) for _, (layer, index) in keyed})
    found = explanations(wanted)
    filled = 0
    for node, (layer, index) in keyed:
        text = found.get((sources[layer], index))
        if text:
            node["clerp"] = text
            filled += 1
    return filled


def generate_graph(
    graph_model: GraphModel,
    prompt: str | None,
    messages: Sequence[dict[str, Any]] | None,
    slug: str,
    options: GraphOptions,
    explanations: Callable[[list[tuple[str, int]]], dict[tuple[str, int], str]],
) -> dict[str, Any]:
    """The pruned graph JSON of a prompt (400 beyond 64 tokens), clerps filled."""
    if not slug:
        raise BadRequest("slug is required")
    prepared = graph_prompt(graph_model.tokenizer, prompt, messages)
    graph = attribute_prompt(graph_model, prepared.ids, options)
    out = graph_json(graph_model, graph, slug, options)
    fill_clerps(out, graph_model.sources, explanations)
    return out
