"""Search-all results packed for the result backend (`bus.wire`) come back unchanged."""

from __future__ import annotations

import json

import torch

from bus import wire


def test_packed_values_unpack_to_the_floats_tolist_gives() -> None:
    values = torch.tensor([0.0, 1e-8, 0.1, -2.5, 3.4e38, 123.456], dtype=torch.float32)
    packed = wire.pack_floats(values.tolist())
    assert wire.unpack_floats(json.loads(json.dumps(packed))) == values.tolist()
    assert wire.unpack_floats(wire.pack_floats([])) == []


def test_search_results_round_trip_through_json() -> None:
    results = [
        {
            "tokens": ["<bos>", "a"],
            "counts": [[0, 3]],
            "activations": [
                {"source": "0-res-x", "index": 5, "values": [0.0, 0.75], "max_value": 0.75},
                {"source": "1-res-x", "index": 2, "values": [0.0, 0.5], "max_value": 0.5},
            ],
        }
    ]
    sent = json.dumps(wire.pack_search(results))
    assert '"values": [' not in sent  # the rows travel as bytes, not numbers
    assert wire.unpack_search(json.loads(sent)) == results
