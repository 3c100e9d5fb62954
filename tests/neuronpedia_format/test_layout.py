"""Batch files are numbered as in Neuronpedia's exports."""

from __future__ import annotations

from neuronpedia_format import layout


def test_batch_numbers_of_paths_names_and_features() -> None:
    assert layout.batch_number_of_path("x/batch-12.jsonl.gz") == 12
    assert layout.batch_number_of_path("x/readme.txt") == -1
    assert layout.batch_number_of_name("batch-3.jsonl.gz") == 3
    assert layout.batch_number_of_name("x-3.jsonl.gz") is None
    assert layout.batch_of_feature(1023) == 0 and layout.batch_of_feature(1024) == 1
    assert layout.batch_name(2) == "batch-2.jsonl.gz"
