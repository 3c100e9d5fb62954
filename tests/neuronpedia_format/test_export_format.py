"""The strict reader of the export format refuses what Neuronpedia's format does not allow."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from neuronpedia_format import export as fmt
from tests.support.demo_exports import SOURCE


@pytest.fixture
def copy(tmp_path: Path, small_export: tuple[Any, Any]) -> Path:
    """A private copy of the small export that a test may break."""
    config, _ = small_export
    shutil.copytree(config.out, tmp_path / "export")
    return tmp_path / "export"


def _edit(path: Path, change: Callable[[list[dict[str, Any]]], None]) -> None:
    rows = list(fmt.read_jsonl(path))
    change(rows)
    fmt.write_jsonl(path, rows)


def _base(root: Path) -> Path:
    return fmt.source_dir(root, "demo-lm", SOURCE)


def test_the_job_output_reads_back(copy: Path) -> None:
    export = fmt.read_source_export(copy, "demo-lm", SOURCE)
    assert export.model["id"] == "demo-lm" and export.release is None


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("model.jsonl", lambda rows: rows[0].pop("dimension"), "missing fields dimension"),
        ("source.jsonl", lambda rows: rows[0].update(extra=1), "unknown fields extra"),
        ("sourceset.jsonl", lambda rows: rows[0].update(name="other"), "names demo-lm/other"),
        ("model.jsonl", lambda rows: rows.append(rows[0]), "expected one row"),
        (
            "features/batch-0.jsonl.gz",
            lambda rows: rows[5].update(index="2000"),
            "feature 2000 is not in batch 0",
        ),
        (
            "features/batch-0.jsonl.gz",
            lambda rows: rows[5].update(index=5),
            "is not a digit string",
        ),
        (
            "activations/batch-0.jsonl.gz",
            lambda rows: rows[0].update(maxValue=rows[0]["maxValue"] + 1),
            "maxValue/minValue do not match",
        ),
        (
            "activations/batch-0.jsonl.gz",
            lambda rows: rows[0]["values"].append(0.0),
            "tokens but",
        ),
        (
            "activations/batch-0.jsonl.gz",
            lambda rows: rows.append(dict(rows[0])),
            "a row id appears twice",
        ),
        (
            "explanations/batch-0.jsonl.gz",
            lambda rows: rows[0].update(typeName="oai_token-act-pair"),
            "unknown typeName",
        ),
        (
            "explanations/batch-0.jsonl.gz",
            lambda rows: rows[0].update(layer="0-res-demo"),
            "layer is '0-res-demo'",
        ),
    ],
)
def test_broken_exports_are_refused_with_the_reason(
    copy: Path, file: str, change: Callable[[list[dict[str, Any]]], None], message: str
) -> None:
    _edit(_base(copy) / file, change)
    with pytest.raises(fmt.ExportFormatError, match=message):
        fmt.read_source_export(copy, "demo-lm", SOURCE)


def test_missing_files_and_bad_json_are_refused(copy: Path) -> None:
    (_base(copy) / "features" / "batch-7.json").write_text("{}")
    with pytest.raises(fmt.ExportFormatError, match="not a batch-N"):
        fmt.read_source_export(copy, "demo-lm", SOURCE)
    (_base(copy) / "features" / "batch-7.json").unlink()
    (_base(copy) / "explanations" / "batch-0.jsonl.gz").write_bytes(gzip.compress(b"{nope\n"))
    with pytest.raises(fmt.ExportFormatError, match="invalid JSON"):
        fmt.read_source_export(copy, "demo-lm", SOURCE)
    (_base(copy) / "source.jsonl").unlink()
    with pytest.raises(fmt.ExportFormatError, match="source.jsonl: missing"):
        fmt.read_source_export(copy, "demo-lm", SOURCE)
    with pytest.raises(fmt.ExportFormatError, match="no export"):
        fmt.read_source_export(copy, "demo-lm", "9-res-demo")


def test_subfolders_of_batch_folders_are_ignored_as_neuronpedia_does(copy: Path) -> None:
    old = _base(copy) / "activations" / "old"
    old.mkdir()
    (old / "batch-0.jsonl.gz").write_bytes(b"not even gzip")
    fmt.read_source_export(copy, "demo-lm", SOURCE)


def test_writer_gives_the_same_bytes_for_the_same_rows(tmp_path: Path) -> None:
    rows = [{"index": "1", "values": [0.5, 1.0], "tokens": [" a", "\n"]}]
    fmt.write_jsonl(tmp_path / "a.jsonl.gz", rows)
    fmt.write_jsonl(tmp_path / "b.jsonl.gz", rows)
    assert (tmp_path / "a.jsonl.gz").read_bytes() == (tmp_path / "b.jsonl.gz").read_bytes()
    assert list(fmt.read_jsonl(tmp_path / "a.jsonl.gz")) == rows
    assert not list(tmp_path.glob(".*.tmp"))
    with pytest.raises(ValueError):
        fmt.write_jsonl(tmp_path / "nan.jsonl", [{"x": float("nan")}])


def test_config_rows_merge_by_name(tmp_path: Path) -> None:
    path = tmp_path / "explanation_type.jsonl"
    path.write_text(json.dumps({"name": "human", "displayName": "Human"}) + "\n")
    fmt.merge_config_rows(path, [{"name": "np_max-act-logits", "displayName": "x"}])
    fmt.merge_config_rows(path, [{"name": "np_max-act-logits", "displayName": "y"}])
    rows = list(fmt.read_jsonl(path))
    assert [(r["name"], r["displayName"]) for r in rows] == [
        ("human", "Human"),
        ("np_max-act-logits", "y"),
    ]


def test_the_importer_plans_every_file_of_the_export(small_export: tuple[Any, Any]) -> None:
    """The importer's own planner accepts the layout the writer makes."""
    from importer import exports, locations

    config, _ = small_export
    reader = locations.open_location(config.out)
    root = exports.dataset_root(reader)
    plan = exports.plan_source(reader, root, "demo-lm", SOURCE)
    assert [(p.path.rsplit("/", 1)[-1], p.table) for p in plan] == [
        ("explanation_model_type.jsonl", "ExplanationModelType"),
        ("explanation_type.jsonl", "ExplanationType"),
        ("model.jsonl", "Model"),
        ("sourceset.jsonl", "SourceSet"),
        ("source.jsonl", "Source"),
        ("batch-0.jsonl.gz", "Neuron"),
        ("batch-0.jsonl.gz", "Activation"),
        ("batch-0.jsonl.gz", "Explanation"),
    ]


def test_background_writer_writes_the_same_bytes_and_raises_its_errors(tmp_path: Path) -> None:
    rows = [{"index": str(i), "values": [i / 3, 1.0], "tokens": [" é", "\t"]} for i in range(500)]
    fmt.write_jsonl(tmp_path / "direct.jsonl.gz", rows)
    with fmt.BackgroundWriter() as writer:
        for name in ("a", "b", "c"):
            assert writer.write(tmp_path / f"{name}.jsonl.gz", rows) == 500
    direct = (tmp_path / "direct.jsonl.gz").read_bytes()
    for name in ("a", "b", "c"):
        assert (tmp_path / f"{name}.jsonl.gz").read_bytes() == direct
    (tmp_path / "taken").write_text("a file where a folder should be")
    with pytest.raises(OSError), fmt.BackgroundWriter() as writer:
        writer.write(tmp_path / "taken" / "x.jsonl.gz", rows)
