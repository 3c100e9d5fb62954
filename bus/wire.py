"""How search-all results travel from the worker to the web side (no torch here: both import it).

Each result carries a row of float activations per feature (50 features x 64 tokens is 3,200
numbers). As JSON numbers they cost more to write on the worker and to read on the web side
than the rest of the round trip; as little-endian float32 bytes in base64 they cost a quarter
of that, and they lose nothing: the worker computes them in float32, and Python reads a float32
back as the same float64 that `Tensor.tolist()` gives.
"""

from __future__ import annotations

import base64
import sys
from array import array
from collections.abc import Sequence
from typing import Any

PACKED = "f32le"  # {"f32le": "<base64>"} stands for a list of floats


def pack_floats(values: Sequence[float]) -> dict[str, str]:
    row = array("f", values)
    if sys.byteorder == "big":
        row.byteswap()
    return {PACKED: base64.b64encode(row.tobytes()).decode("ascii")}


def unpack_floats(packed: dict[str, str]) -> list[float]:
    row = array("f", base64.b64decode(packed[PACKED]))
    if sys.byteorder == "big":
        row.byteswap()
    return row.tolist()


def pack_search(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Search-all results (`workers.inference.activations_all_many`) with packed `values`."""
    return [
        {
            **result,
            "activations": [
                {**a, "values": pack_floats(a["values"])} for a in result["activations"]
            ],
        }
        for result in results
    ]


def unpack_search(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The inverse of `pack_search`: `values` as lists of floats again."""
    for result in results:
        for activation in result["activations"]:
            activation["values"] = unpack_floats(activation["values"])
    return results
