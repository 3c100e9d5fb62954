"""Formatting in pool processes gives the same rows, the same errors (with the file's row
numbers) and the same foreign key checks as formatting in-process."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from features.models import Activation
from importer import jobs, loader
from importer.loader import Catalog, FileError, FormatPool, load_file
from importer.models import ImportJob
from tests.support.exportgen import Export
from tests.support.factories import make_feature, make_model, make_source

pytestmark = pytest.mark.django_db
BOT = "clkht01d40000jv08hvalcvly"


@pytest.fixture(scope="module")
def pool() -> Iterator[FormatPool]:
    pool = FormatPool(2)
    yield pool
    pool.close()


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "READ_BYTES", 512)  # many chunks from a small file


def _rows(n: int, features: int) -> list[dict[str, Any]]:
    return [
        {"id": f"act-{i}", "modelId": "gpt2-small", "layer": "6-res-jb", "index": str(i % features),
         "tokens": ["a\tb", f"t{i}", "\\"], "values": [0, i / 7], "maxValue": i / 7,
         "minValue": 0, "maxValueTokenIndex": 1, "creatorId": BOT}
        for i in range(n)
    ]  # fmt: skip


def _load(tmp_path: Path, rows: list[dict[str, Any]], pool: FormatPool | None) -> int:
    path = tmp_path / "batch-0.jsonl.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    with transaction.atomic():
        result = load_file(
            lambda: path.open("rb"), path.name, "Activation", Catalog(),
            fast_constraints=True, pool=pool,
        )  # fmt: skip
    return result.rows


def test_rows_are_the_same_as_in_process(
    tmp_path: Path, pool: FormatPool, small_chunks: None
) -> None:
    source = make_source(make_model())
    for i in range(5):
        make_feature(source, index=i)
    rows = _rows(400, 5)
    assert _load(tmp_path, rows, pool) == 400
    stored = {a.id: a for a in Activation.objects.all()}
    assert len(stored) == 400
    for row in rows[::37]:
        assert stored[row["id"]].tokens == row["tokens"]
        assert stored[row["id"]].values == [0.0, float(row["values"][1])]


def test_errors_name_the_row_of_the_file(
    tmp_path: Path, pool: FormatPool, small_chunks: None
) -> None:
    source = make_source(make_model())
    make_feature(source, index=0)
    rows = _rows(300, 1)
    rows[250]["tokens"] = "oops"
    with pytest.raises(FileError, match="row 251: column tokens: expected a list"):
        _load(tmp_path, rows, pool)


def test_missing_features_are_found_across_chunks(
    tmp_path: Path, pool: FormatPool, small_chunks: None
) -> None:
    source = make_source(make_model())
    make_feature(source, index=0)
    rows = _rows(300, 1)
    rows[290]["index"] = "77"
    with pytest.raises(FileError, match=r"missing \"Neuron\".*77"):
        _load(tmp_path, rows, pool)
    assert not Activation.objects.exists()


def test_a_job_uses_the_pool_for_large_files(
    settings: Any,
    use_moto: str,
    s3_export: tuple[str, Export],
    small_chunks: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.IMPORT_PARALLEL_MIN_BYTES = 0
    settings.IMPORT_FORMAT_PROCESSES = 2
    used = []
    original = jobs._Pools.for_file

    def spy(self: Any, file: Any) -> Any:
        pool = original(self, file)
        used.append((file.table, pool is not None))
        return pool

    monkeypatch.setattr(jobs._Pools, "for_file", spy)
    job, _ = jobs.prepare_import("gpt2-small", "6-res-jb", location=s3_export[0])
    job = jobs.run_job(job.pk)
    assert job.state == ImportJob.State.DONE, job.error
    assert ("Activation", True) in used and ("Model", False) in used
    assert Activation.objects.count() == 18
    assert job.report["complete"] is True


def test_auto_leaves_two_cpus_to_the_importer_and_postgresql(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importer.models import ImportFile

    settings.IMPORT_FORMAT_PROCESSES = -1
    big = ImportFile(path="a/activations/batch-0.jsonl.gz", table="Activation", size=1 << 30)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert jobs._Pools().for_file(big) is None
