"""JsonlStream: an export file compressed in chunks as its rows are built."""

from __future__ import annotations

from pathlib import Path

import pytest

from neuronpedia_format import export as fmt


def test_a_stream_in_chunks_writes_the_bytes_write_jsonl_writes(tmp_path: Path) -> None:
    rows = [{"index": str(i), "values": [i / 7, -i], "tokens": ["a", "é"]} for i in range(5000)]
    fmt.write_jsonl(tmp_path / "whole.jsonl.gz", rows)
    with fmt.JsonlStream(tmp_path / "streamed.jsonl.gz") as stream:
        for start in range(0, len(rows), 700):
            stream.add(rows[start : start + 700])
    assert stream.count == 5000
    whole = (tmp_path / "whole.jsonl.gz").read_bytes()
    assert (tmp_path / "streamed.jsonl.gz").read_bytes() == whole
    assert list(fmt.read_jsonl(tmp_path / "streamed.jsonl.gz")) == rows


def test_a_stream_that_fails_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "out" / "batch-0.jsonl.gz"
    with pytest.raises(RuntimeError), fmt.JsonlStream(path) as stream:
        stream.add([{"index": "0"}])
        raise RuntimeError("the job was interrupted")
    assert not path.exists()
    assert list(path.parent.iterdir()) == []
