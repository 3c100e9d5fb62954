"""What a steering request asks for, once validated and resolved: the shared vocabulary of
`steering.steer` (running it), `steering.cache` (saving it) and the views."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bus.steering import DEFAULT, STEERED, SteerSettings
from features.models import Model
from neuronpedia_site.models import User

# The Neuronpedia webapp always asks its inference server for 5 top logprobs per token.
N_LOGPROBS = 5

Messages = list[dict[str, str]]
NeuronKey = tuple[str, str, str, float]  # (modelId, layer, index, strength)


def settings_json(settings: SteerSettings) -> dict[str, Any]:
    """The `settings` object of Neuronpedia's steer responses."""
    return {
        "temperature": settings.temperature,
        "n_tokens": settings.n_tokens,
        "freq_penalty": settings.freq_penalty,
        "seed": settings.seed,
        "strength_multiplier": settings.strength_multiplier,
        "steer_special_tokens": settings.steer_special_tokens,
        "steer_method": settings.steer_method,
    }


@dataclass(frozen=True)
class SteerFeature:
    """A requested feature: an SAE latent (steered along its decoder row by the worker) or a
    stored vector (sent to the worker with its values and hook)."""

    model_id: str
    layer: str
    index: str
    strength: float
    vector: tuple[float, ...] | None = None
    hook: str | None = None

    @property
    def key(self) -> NeuronKey:
        return (self.model_id, self.layer, self.index, self.strength)

    @property
    def is_vector(self) -> bool:
        return self.vector is not None

    def to_worker(self) -> dict[str, Any]:
        if self.vector is not None:
            return {
                "steering_vector": list(self.vector),
                "strength": self.strength,
                "hook": self.hook,
            }
        return {"source": self.layer, "index": int(self.index), "strength": self.strength}


@dataclass
class SteerPlan:
    """A validated steer or steer-chat request with its features resolved."""

    model: Model
    chat: bool
    settings: SteerSettings
    features: list[SteerFeature]
    prompt: str = ""  # completion
    conversations: dict[str, Messages] = field(default_factory=dict)  # chat: type -> messages
    user: User | None = None
    limit: str | None = None  # the rate limiter's x-limit-remaining, echoed as `limit`
    stream: bool = False

    @property
    def types(self) -> list[str]:
        """No features: only the DEFAULT output, as Neuronpedia does."""
        return [STEERED, DEFAULT] if self.features else [DEFAULT]

    def neuron_keys(self, steer_type: str) -> frozenset[NeuronKey]:
        return frozenset(f.key for f in self.features) if steer_type == STEERED else frozenset()

    def input_text(self, steer_type: str) -> str:
        return chat_json(self.conversations[steer_type]) if self.chat else self.prompt


@dataclass
class Output:
    """One generated side. Completion: `text` is the generation only (SteerOutput version 2).
    Chat: `text` is the whole rendered conversation plus the reply (`raw`), `chat_template` the
    messages plus the new assistant turn."""

    type: str
    text: str
    chat_template: Messages | None = None
    logprobs: list[dict[str, Any]] | None = None
    input_raw: str | None = None


def chat_json(messages: Messages) -> str:
    """Messages normalised as Neuronpedia does before hashing: `[{content, role}]` in that key
    order, compact like `JSON.stringify`."""
    normalised = [{"content": m["content"], "role": m["role"]} for m in messages]
    return json.dumps(normalised, separators=(",", ":"), ensure_ascii=False)
