"""The gpt2-small rows (model, set, source, features) that the API tests read."""

from __future__ import annotations

from dataclasses import dataclass

from features.models import (
    Feature,
    Model,
    Source,
)


@dataclass
class Gpt2:
    model: Model
    source: Source
    feature: Feature
