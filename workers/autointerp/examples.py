"""Which of a feature's stored activations an explainer or scorer sees (Neuronpedia's selection,
`app/api/explanation/generate|score/route.tsx`).

Both start from every activation of the feature, drop repeats of the same text, and sort by
maximum activation, highest first. Explainers take the first 10 (20 for `eleuther_acts_top20`).
Scorers take the first 20 that activate, rescaled so each one's maximum is 10, and up to 5 that
never activate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EXPLAIN_COUNT = 10
EXPLAIN_COUNT_ELEUTHER = 20
SCORE_TOP_COUNT = 20
SCORE_ZERO_COUNT = 5
RESCALED_MAX = 10.0


@dataclass(frozen=True)
class Example:
    tokens: list[str]
    values: list[float]
    max_value: float
    id: str = ""

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    @property
    def max_index(self) -> int:
        """The first token with the highest value."""
        return self.values.index(max(self.values)) if self.values else 0

    def to_wire(self) -> dict[str, Any]:
        return {"tokens": self.tokens, "values": self.values}


def distinct_by_text(examples: list[Example]) -> list[Example]:
    """One example per text, sorted by max value (highest first); a repeated text keeps its
    first place and its last row, as upstream's `new Map(...)`."""
    by_text: dict[str, Example] = {}
    for example in examples:
        by_text[example.text] = example
    return sorted(by_text.values(), key=lambda e: -e.max_value)


def for_explainer(examples: list[Example], count: int = EXPLAIN_COUNT) -> list[Example]:
    return distinct_by_text(examples)[:count]


def for_scorer(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """(top activating examples rescaled to 0-10, zero-activation examples)."""
    ranked = distinct_by_text(examples)
    zero = [e for e in ranked if e.max_value == 0][:SCORE_ZERO_COUNT]
    top = [e for e in ranked[:SCORE_TOP_COUNT] if e.max_value > 0]
    rescaled = [
        Example(
            tokens=e.tokens,
            values=[v * RESCALED_MAX / e.max_value for v in e.values],
            max_value=RESCALED_MAX,
            id=e.id,
        )
        for e in top
    ]
    return rescaled, zero


def from_wire(items: list[dict[str, Any]]) -> list[Example]:
    """The `/v1` contract's `{tokens, values}` records."""
    return [
        Example(
            tokens=list(item["tokens"]),
            values=[float(v) for v in item["values"]],
            max_value=max((float(v) for v in item["values"]), default=0.0),
        )
        for item in items
    ]
