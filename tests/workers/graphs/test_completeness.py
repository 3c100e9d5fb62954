"""With no term outside the graph's nodes (no biases, no positional embedding), what the
token embeddings, transcoder features and error nodes send a logit node adds up to that logit,
demeaned over the vocabulary as circuit-tracer's logit targets are.

The direct computation runs the plain model as the local replacement model sees it: attention
patterns, LayerNorm scales and MLP outputs (features plus error: constants of the graph) frozen
at their values on the prompt, and the MLP output at the leading special token set to 0, since
circuit-tracer leaves that position out of the graph (no features, no error node there). What
is left is linear: every logit is then the token embeddings and MLP outputs carried by attention.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from workers.graphs.generate import GraphOptions, attribute_prompt
from workers.model_dir import load_model_dir


def _frozen_logits(model: Any, ids: list[int]) -> torch.Tensor:
    tokens = torch.tensor([ids])
    frozen = ("hook_pattern", "hook_scale", "hook_mlp_out")
    _, cache = model.run_with_cache(tokens, names_filter=lambda n: n.endswith(frozen))

    def keep(acts: torch.Tensor, hook: Any) -> torch.Tensor:
        kept = cache[hook.name].clone()
        if hook.name.endswith("hook_mlp_out"):
            kept[:, 0] = 0
        return kept

    hooks = [(name, keep) for name in cache]
    with torch.inference_mode():
        return model.run_with_hooks(tokens, fwd_hooks=hooks)[0, -1]


def test_attribution_into_each_logit_sums_to_the_frozen_demeaned_logit(
    bias_free_graph_model: Any, bias_free_dir: Path
) -> None:
    tokenizer = bias_free_graph_model.tokenizer
    text_ids = tokenizer("A dog ran in the park", add_special_tokens=False)["input_ids"]
    ids = [tokenizer.bos_token_id, *text_ids]
    graph = attribute_prompt(bias_free_graph_model, ids, GraphOptions(max_n_logits=3))
    logits = _frozen_logits(load_model_dir(bias_free_dir), ids)
    n_logits = len(graph.logit_targets)
    assert n_logits >= 1
    incoming = graph.adjacency_matrix[-n_logits:].sum(dim=1)
    expected = logits[graph.logit_token_ids] - logits.mean()
    assert incoming.tolist() == pytest.approx(expected.tolist(), rel=1e-3, abs=1e-4)


def test_the_error_nodes_carry_what_the_transcoders_miss(bias_free_graph_model: Any) -> None:
    # The random transcoders are far from the MLPs, so the sum above holds only because the
    # error nodes carry the difference: they are far from zero.
    tokenizer = bias_free_graph_model.tokenizer
    ids = [tokenizer.bos_token_id, *tokenizer("A dog ran", add_special_tokens=False)["input_ids"]]
    graph = attribute_prompt(bias_free_graph_model, ids, GraphOptions(max_n_logits=1))
    n_features = len(graph.selected_features)
    n_errors = graph.cfg.n_layers * len(ids)
    errors = graph.adjacency_matrix[-1, n_features : n_features + n_errors]
    assert errors.abs().sum() > 1e-2
