"""`prune_graph`: circuit-tracer's pruning (`circuit_tracer.graph.prune_graph`, the same masks bit
for bit), with its influence thresholds found by sorting only the scores above zero.

circuit-tracer finds each threshold by sorting every score: for the edges that is the whole
adjacency matrix, 9.7 million entries for a 64-token prompt of the demo model (3,113 nodes), of
which a few percent are above zero once the node pruning has zeroed most rows and columns. That
sort was half of the pruning's time and a fifth of a whole graph's. Scores are never negative
(row-normalised absolute weights times non-negative influence), so the fully sorted vector is
the sorted positive scores followed by zeros: we build exactly that vector and take the cut
from it with circuit-tracer's own arithmetic (`tests/workers/graphs/test_pruning.py` compares the
masks with circuit-tracer's on real graphs).
"""

from __future__ import annotations

from typing import Any


def find_threshold(scores: Any, keep: float) -> Any:
    """The smallest score among the top scores that together hold `keep` of their total (what
    `circuit_tracer.graph.find_threshold` answers), sorting only the positive ones."""
    import torch
    from circuit_tracer.graph import find_threshold as sort_everything

    flat = scores.flatten()
    if not bool(flat.min() >= 0):
        return sort_everything(flat, keep)  # negative or NaN scores: not the shape above
    positive = torch.sort(flat[flat > 0], descending=True).values
    ordered = torch.zeros_like(flat)  # what circuit-tracer sorts into: the positives, then zeros
    ordered[: len(positive)] = positive
    total = torch.sum(ordered)  # summed over the same vector, so the same float
    # A running sum: the zeros after the positives add nothing, so these are circuit-tracer's
    # cumulative shares, and past them its shares stay at the last one.
    shares = torch.cumsum(positive, dim=0) / total
    index = int(torch.searchsorted(shares, keep).item())
    # Where no positive share reaches `keep`, circuit-tracer's index runs off the end and is
    # clamped to the last entry: a zero, or the smallest positive when there are no zeros.
    return positive[index] if index < len(positive) else ordered[-1]


def prune_graph(graph: Any, node_threshold: float, edge_threshold: float) -> Any:
    """circuit-tracer's `PruneResult(node_mask, edge_mask, cumulative_scores)` for `graph`: the
    nodes holding `node_threshold` of the influence on the logits (input tokens and logits
    always), the edges holding `edge_threshold` of what flows among those, then, until nothing
    changes, no feature or error node without an outgoing edge and no feature without an
    incoming one."""
    import torch
    from circuit_tracer.graph import PruneResult, compute_edge_influence, compute_node_influence

    if not (0.0 <= node_threshold <= 1.0 and 0.0 <= edge_threshold <= 1.0):
        raise ValueError("node_threshold and edge_threshold must be between 0.0 and 1.0")
    adjacency = graph.adjacency_matrix
    n_logits = len(graph.logit_targets)
    n_features = len(graph.selected_features)
    n_inner = adjacency.shape[0] - n_logits - len(graph.input_tokens)  # features and errors

    logit_weights = torch.zeros(adjacency.shape[0], device=adjacency.device)
    logit_weights[-n_logits:] = graph.logit_probabilities
    influence = compute_node_influence(adjacency, logit_weights)
    node_mask = influence >= find_threshold(influence, node_threshold)
    node_mask[n_inner:] = True

    kept = adjacency.clone()
    kept[~node_mask] = 0
    kept[:, ~node_mask] = 0
    edge_scores = compute_edge_influence(kept, logit_weights)
    edge_mask = edge_scores >= find_threshold(edge_scores, edge_threshold)

    while True:
        before = node_mask.clone()
        node_mask[:n_inner] &= edge_mask[:, :n_inner].any(0)
        node_mask[:n_features] &= edge_mask[:n_features].any(1)
        if torch.equal(node_mask, before):
            break
        edge_mask[~node_mask] = False
        edge_mask[:, ~node_mask] = False

    order = torch.sort(influence, descending=True)
    cumulative = torch.zeros_like(influence)
    cumulative[order.indices] = torch.cumsum(order.values, dim=0) / torch.sum(order.values)
    return PruneResult(node_mask, edge_mask, cumulative)
