"""Pruning keeps the nodes whose influence on the logits is above the node threshold: computed
here from the unpruned graph with a matrix inverse (circuit-tracer sums the power series); and
our pruning (`workers.graphs.pruning`) gives exactly circuit-tracer's masks."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from workers.graphs.generate import GraphOptions, attribute_prompt, graph_json
from workers.graphs.pruning import find_threshold, prune_graph

PROMPT = "The quick brown fox jumps over the lazy dog."


def _influence(graph: Any) -> torch.Tensor:
    """Each node's total (direct and indirect) normalised influence on the logits, weighted by
    the logits' probabilities: w (I - A)^-1 - w, with A the row-normalised |adjacency|."""
    a = graph.adjacency_matrix.abs()
    a = a / a.sum(dim=1, keepdim=True).clamp(min=1e-10)
    n = a.shape[0]
    w = torch.zeros(n, dtype=torch.float64)
    w[-len(graph.logit_targets) :] = graph.logit_probabilities.double()
    total = w @ torch.linalg.inv(torch.eye(n, dtype=torch.float64) - a.double())
    return total - w


def _kept_features(graph_model: Any, graph: Any, threshold: float) -> set[str]:
    options = GraphOptions(node_threshold=threshold, edge_threshold=0.98)
    out = graph_json(graph_model, graph, "p", options)
    return {n["node_id"] for n in out["nodes"] if n["feature_type"] == "cross layer transcoder"}


def _feature_ids(graph: Any) -> list[str]:
    return [
        f"{layer}_{index}_{pos}"
        for layer, pos, index in graph.active_features[graph.selected_features].tolist()
    ]


def test_kept_features_are_the_most_influential(graph_model: Any) -> None:
    tokenizer = graph_model.tokenizer
    ids = [tokenizer.bos_token_id, *tokenizer(PROMPT, add_special_tokens=False)["input_ids"]]
    graph = attribute_prompt(graph_model, ids, GraphOptions())
    influence = _influence(graph)[: len(graph.selected_features)]
    names = _feature_ids(graph)
    ranked = sorted(zip(influence.tolist(), names, strict=True), reverse=True)
    all_nodes = _influence(graph)
    order = torch.sort(all_nodes, descending=True).values
    cumulative = torch.cumsum(order, 0) / order.sum()

    kept = _kept_features(graph_model, graph, 0.8)
    cut = float(order[int(torch.searchsorted(cumulative, 0.8))])
    above = {name for value, name in ranked if value >= cut * (1 + 1e-4)}
    below = {name for value, name in ranked if value < cut * (1 - 1e-4)}
    assert kept, "the graph keeps some features"
    assert not kept & below, "no feature under the influence cut survives"
    assert ranked[0][1] in kept, "the most influential feature is kept"
    # edge pruning may drop a node left without edges, never one that keeps most of them
    assert len(kept & above) >= 0.8 * len(above)


def test_a_lower_threshold_keeps_a_subset(graph_model: Any) -> None:
    tokenizer = graph_model.tokenizer
    ids = [tokenizer.bos_token_id, *tokenizer(PROMPT, add_special_tokens=False)["input_ids"]]
    graph = attribute_prompt(graph_model, ids, GraphOptions())
    small = _kept_features(graph_model, graph, 0.5)
    large = _kept_features(graph_model, graph, 0.95)
    assert small < large


@pytest.mark.parametrize("thresholds", [(0.8, 0.98), (0.5, 0.85), (0.95, 0.99), (1.0, 1.0)])
def test_our_pruning_gives_circuit_tracers_masks_bit_for_bit(
    graph_model: Any, thresholds: tuple[float, float]
) -> None:
    """`workers.graphs.pruning.prune_graph` only sorts fewer zeros than circuit-tracer's."""
    from circuit_tracer.graph import prune_graph as theirs

    tokenizer = graph_model.tokenizer
    for prompt in (PROMPT, "Paris is the capital of", "1 2 3 4 5 6 7 8 9 10 11 12"):
        ids = [tokenizer.bos_token_id, *tokenizer(prompt, add_special_tokens=False)["input_ids"]]
        graph = attribute_prompt(graph_model, ids, GraphOptions())
        ours = prune_graph(graph, *thresholds)
        want = theirs(graph, *thresholds)
        assert torch.equal(ours.node_mask, want.node_mask)
        assert torch.equal(ours.edge_mask, want.edge_mask)
        assert torch.equal(ours.cumulative_scores, want.cumulative_scores)
        assert 0 < int(ours.edge_mask.sum()) < ours.edge_mask.numel() or thresholds[1] == 1.0


def test_the_threshold_is_circuit_tracers_with_zeros_negatives_and_ties() -> None:
    from circuit_tracer.graph import find_threshold as theirs

    generator = torch.Generator().manual_seed(0)
    dense = torch.rand(5000, generator=generator)
    sparse = dense * (torch.rand(5000, generator=generator) < 0.03)
    ties = torch.tensor([3.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    signed = dense - 0.5
    for scores in (dense, sparse, ties, signed, torch.zeros(7)):
        for keep in (0.0, 0.5, 0.8, 0.98, 1.0):
            got, want = find_threshold(scores, keep), theirs(scores, keep)
            assert torch.equal(got, want) or (got.isnan() and want.isnan()), (scores, keep)
