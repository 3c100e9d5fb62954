"""Neuronpedia-style steering and the topic word rate used to check that it works."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from jaxtyping import Float

from workers.demo.corpus import topic_word_rate

# Prompts that occur at the start of sentences of every topic, so they favour none.
NEUTRAL_PROMPTS = ("I like", "Today the", "We saw a", "My friend said that", "Yesterday the", "The")


def steering_hook(
    direction: Float[torch.Tensor, " d_model"], strength: float
) -> Callable[[torch.Tensor, Any], torch.Tensor]:
    """Add `strength * direction` to the residual at every position, as Neuronpedia does."""

    def hook(resid: torch.Tensor, hook: Any) -> torch.Tensor:
        return resid + strength * direction.to(resid.dtype)

    return hook


@contextlib.contextmanager
def steered(model: Any, sae: Any, feature: int, strength: float) -> Iterator[None]:
    """Within the block, `model` runs with SAE `feature`'s decoder row added at the SAE's hook."""
    hook = steering_hook(sae.W_dec[feature].detach(), strength)
    with model.hooks(fwd_hooks=[(sae.cfg.metadata.hook_name, hook)]):
        yield


@torch.no_grad()
def greedy(model: Any, prompts: Sequence[str], max_new_tokens: int = 24) -> list[str]:
    """Greedy continuations (text after the prompt) of each prompt."""
    outs = []
    for prompt in prompts:
        text = model.generate(
            prompt, max_new_tokens=max_new_tokens, do_sample=False, verbose=False, stop_at_eos=True
        )
        outs.append(text[len(prompt) :] if text.startswith(prompt) else text)
    return outs


def steered_topic_rate(
    model: Any,
    sae: Any,
    feature: int,
    strength: float,
    topic: str,
    prompts: Sequence[str] = NEUTRAL_PROMPTS,
    max_new_tokens: int = 24,
) -> float:
    """Mean `topic` word rate of greedy continuations of `prompts` under steering."""
    if strength == 0:
        texts = greedy(model, prompts, max_new_tokens)
    else:
        with steered(model, sae, feature, strength):
            texts = greedy(model, prompts, max_new_tokens)
    return sum(topic_word_rate(t, topic) for t in texts) / len(texts)
