"""Neuronpedia source ids.

A source id names one SAE, `{layer}-{source_set}` with an optional `__{extra}` suffix
(`6-res-jb`, `20-gemmascope-res-16k`, `12-matryoshka-res-dc__foo`); `e-…` is the embedding
layer, and a bare integer (`"5"`) is an MLP-neuron source of the reserved set `neurons`.
"""

from __future__ import annotations

NEURONS_SET = "neurons"
EMBEDDING_LAYER = "e"


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def source_set_of(source_id: str) -> str:
    """`6-res-jb` -> `res-jb`; `12-x__foo` -> `x`; `5` -> `neurons`; an id without a `-` is its
    own set."""
    if _is_number(source_id):
        return NEURONS_SET
    if "-" not in source_id:
        return source_id
    return source_id.split("-", 1)[1].split("__", 1)[0]


def has_layer(source_id: str) -> bool:
    """Whether the id starts with a layer: a number, or `e` for the embeddings."""
    head = source_id.split("-", 1)[0]
    return head == EMBEDDING_LAYER or _is_number(head)


def layer_of(source_id: str) -> int:
    """The layer number before the first `-`: `6-res-jb` -> 6; `e-res` (the embeddings) -> 0,
    and so is an id that does not start with a layer (`has_layer` tells them apart)."""
    head = source_id.split("-", 1)[0]
    return int(head) if _is_number(head) else 0


def source_id(layer: int | str, source_set: str) -> str:
    """`(6, "res-jb")` -> `6-res-jb`."""
    return f"{layer}-{source_set}"
