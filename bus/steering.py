"""What a steering request asks a worker for, as both sides spell it: the output types, the
steering methods, and the generation settings, which travel in the task as one `settings` object
(`SteerSettings.to_wire()`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

STEERED = "STEERED"
DEFAULT = "DEFAULT"
STEER_TYPES = (STEERED, DEFAULT)
SIMPLE_ADDITIVE = "SIMPLE_ADDITIVE"
ORTHOGONAL_DECOMP = "ORTHOGONAL_DECOMP"
STEER_METHODS = (SIMPLE_ADDITIVE, ORTHOGONAL_DECOMP)


@dataclass(frozen=True)
class SteerSettings:
    """How to generate: the defaults are the Neuronpedia inference server's."""

    temperature: float = 0.5
    n_tokens: int = 32
    freq_penalty: float = 0.0
    # Neuronpedia stores and answers the seed as a number; generation seeds with int(seed).
    seed: float = 0
    strength_multiplier: float = 1.0
    steer_method: str = SIMPLE_ADDITIVE
    # Chat only: whether the template's special tokens are steered too (the inference server's
    # default; /api/steer-chat sends its own).
    steer_special_tokens: bool = True
    normalize_steering: bool = False
    n_logprobs: int = 0  # top logprobs per generated token (0: none)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object a task message carries."""
        return asdict(self)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> SteerSettings:
        """The settings `to_wire()` gave; a key missing takes its default, an unknown key is a
        TypeError (as an unknown task keyword argument was)."""
        return cls(**data)
