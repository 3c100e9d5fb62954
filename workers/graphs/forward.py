"""`forward_pass`: a prompt's tokens and salient next-token logits (upstream's `/forward-pass`).

The salient logits are the ones `attribute` would use as its targets: circuit-tracer's
`AttributionTargets` with no explicit targets (the top `max_n_logits` until their cumulative
probability reaches `desired_logit_prob`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workers.errors import BadRequest
from workers.graphs.prompts import graph_prompt
from workers.graphs.replacement import GraphModel


def forward_pass(
    graph_model: GraphModel,
    prompt: str | None,
    messages: Sequence[dict[str, Any]] | None,
    max_n_logits: int = 10,
    desired_logit_prob: float = 0.95,
) -> dict[str, Any]:
    """`{prompt, input_tokens, salient_logits: [{token, token_id, probability}],
    total_salient_tokens, cumulative_probability}`."""
    import torch
    from circuit_tracer.attribution.targets import AttributionTargets

    if not 1 <= max_n_logits <= 100 or not 0 < desired_logit_prob <= 1:
        raise BadRequest("max_n_logits must be 1-100 and desired_logit_prob in (0, 1]")
    tokenizer = graph_model.tokenizer
    model = graph_model.model
    prepared = graph_prompt(tokenizer, prompt, messages, limit=model.cfg.n_ctx - 1)
    with graph_model.lock, torch.inference_mode():
        logits = model(torch.tensor([prepared.ids], device=model.cfg.device))[0, -1]
        targets = AttributionTargets(
            None,
            logits,
            model.unembed_proj,
            tokenizer,
            max_n_logits=max_n_logits,
            desired_logit_prob=desired_logit_prob,
        )
    salient: list[dict[str, Any]] = [
        {"token": target.token_str, "token_id": int(target.vocab_idx), "probability": float(p)}
        for target, p in zip(
            targets.logit_targets, targets.logit_probabilities.tolist(), strict=True
        )
    ]
    return {
        "prompt": prepared.text,
        "input_tokens": [tokenizer.decode([i]) for i in prepared.ids],
        "salient_logits": salient,
        "total_salient_tokens": len(salient),
        "cumulative_probability": float(sum(s["probability"] for s in salient)),
    }
