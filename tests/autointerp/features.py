"""A small feature with known examples, for the autointerp tests."""

from __future__ import annotations

from features.models import Feature
from tests.support.factories import make_activation, make_feature, make_model, make_source

MODEL_ID = "gpt2-small"
SOURCE_ID = "6-res-jb"
TOP_LOGITS = ["▁horns", "▁fossil", "▁Jurassic"]


def example_tokens(i: int) -> list[str]:
    return [" Fossil", f" find{i}", " of", " a", " triceratops", " was", " announced"]


def example_values(i: int, top: float) -> list[float]:
    return [0.0, 0.0, 0.0, 0.5, top, 1.0, 0.0]


def dinosaur_feature(count: int = 12, zeros: int = 0) -> Feature:
    """`count` examples peaking on " triceratops" at 12, 11, ... (example i at 12 - i), one of
    them stored twice, and `zeros` texts where it never fires."""
    model = make_model(MODEL_ID)
    source = make_source(model, SOURCE_ID)
    feature = make_feature(source, 7, pos_str=TOP_LOGITS)
    for i in range(count):
        make_activation(feature, example_values(i, 12.0 - i), example_tokens(i))
    make_activation(feature, example_values(3, 9.0), example_tokens(3))  # the same text again
    for i in range(zeros):
        make_activation(feature, [0.0] * 5, [" The", " stock", f" market{i}", " fell", " today"])
    return feature
