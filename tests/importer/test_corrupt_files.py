"""A corrupt, truncated or wrong-typed file fails the job with the file named, and nothing
of that file is written; the files before it stay imported and a resume starts there."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from features.models import Activation, Explanation, Feature
from importer import jobs
from importer.models import ImportFile, ImportJob
from tests.support.exportgen import Export, write_jsonl
from tests.support.importer import BUCKET

pytestmark = pytest.mark.django_db

BATCH0 = "gpt2-small/6-res-jb/activations/batch-0.jsonl.gz"
BATCH1 = "gpt2-small/6-res-jb/activations/batch-1.jsonl.gz"
Prefix = Callable[..., tuple[str, Path, Export]]


def _import(location: str) -> ImportJob:
    job, run = jobs.prepare_import("gpt2-small", "6-res-jb", location=location)
    assert run
    return jobs.run_job(job.pk)


def _put(s3: Any, location: str, path: str, data: bytes) -> None:
    prefix = location.removeprefix(f"s3://{BUCKET}/")
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/{path}", Body=data, ACL="public-read")


def _activation_rows(export: Export, batch: int) -> list[dict[str, Any]]:
    return [r for r in export.rows["6-res-jb"]["Activation"] if int(r["index"]) // 4 == batch]


def _gz(rows: list[dict[str, Any]], tmp_path: Path) -> bytes:
    target = tmp_path / "custom.jsonl.gz"
    write_jsonl(target, rows, gz=True)
    return target.read_bytes()


def test_a_corrupt_gzip_fails_the_job_naming_the_file_and_resume_continues(
    use_moto: str, s3: Any, s3_prefix: Prefix
) -> None:
    location, root, export = s3_prefix()
    _put(s3, location, BATCH1, b"\x1f\x8b\x08\x00garbage that is not deflate data")
    job = _import(location)
    assert job.state == ImportJob.State.FAILED
    assert BATCH1 in job.error and "corrupt or truncated gzip" in job.error
    failed = job.files.get(path=BATCH1)
    assert failed.state == ImportFile.State.FAILED and failed.error
    # batch-0 (and everything before it) is in; nothing of batch-1; nothing after it ran
    assert Activation.objects.count() == len(_activation_rows(export, 0)) == 12
    assert Feature.objects.count() == 6
    assert not Explanation.objects.exists()
    done_before = dict(job.files.filter(state="done").values_list("path", "finished_at"))

    _put(s3, location, BATCH1, (root / BATCH1).read_bytes())  # the good file again
    resumed, run = jobs.prepare_import("gpt2-small", "6-res-jb", location=location)
    assert run and resumed.pk == job.pk
    resumed = jobs.run_job(resumed.pk)
    assert resumed.state == ImportJob.State.DONE, resumed.error
    assert (Feature.objects.count(), Activation.objects.count()) == (6, 18)
    assert Explanation.objects.count() == 6
    # files done before the failure were not loaded again
    for path, finished_at in done_before.items():
        assert resumed.files.get(path=path).finished_at == finished_at
    assert resumed.attempts == 2


def test_a_truncated_gzip_fails_cleanly(use_moto: str, s3: Any, s3_prefix: Prefix) -> None:
    location, root, _ = s3_prefix()
    whole = (root / BATCH0).read_bytes()
    _put(s3, location, BATCH0, whole[: len(whole) // 2])
    job = _import(location)
    assert job.state == ImportJob.State.FAILED
    assert job.error.startswith(f"{BATCH0}: corrupt or truncated gzip")
    assert not Activation.objects.exists()


def test_a_wrong_typed_value_names_the_file_row_and_column(
    use_moto: str, s3: Any, s3_prefix: Prefix, tmp_path: Path
) -> None:
    location, _, export = s3_prefix()
    rows = _activation_rows(export, 0)
    rows[2] = {**rows[2], "maxValue": "very high"}
    _put(s3, location, BATCH0, _gz(rows, tmp_path))
    job = _import(location)
    assert job.state == ImportJob.State.FAILED
    assert BATCH0 in job.error
    assert "double precision" in job.error and "row 3, column maxValue" in job.error
    assert not Activation.objects.exists()  # rows 1 and 2 were rolled back too


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tokens": "not a list"}, "row 5: column tokens: expected a list, got a string"),
        ({"values": ["1,2"]}, "double precision"),
        ({"values": [{"x": 1}]}, "double precision"),
        ({"maxValueTokenIndex": [1]}, "row 5: column maxValueTokenIndex: expected a number"),
    ],
)
def test_values_of_the_wrong_shape_are_rejected_not_reinterpreted(
    use_moto: str,
    s3: Any,
    s3_prefix: Prefix,
    tmp_path: Path,
    change: dict[str, Any],
    message: str,
) -> None:
    location, _, export = s3_prefix()
    rows = _activation_rows(export, 0)
    rows[4] = {**rows[4], **change}
    _put(s3, location, BATCH0, _gz(rows, tmp_path))
    job = _import(location)
    assert job.state == ImportJob.State.FAILED
    assert job.error.startswith(f"{BATCH0}: ") and message in job.error
    assert not Activation.objects.exists()


def test_a_line_that_is_not_json_names_its_row(
    use_moto: str, s3: Any, s3_prefix: Prefix, tmp_path: Path
) -> None:
    location, root, _ = s3_prefix()
    lines = gzip.decompress((root / BATCH0).read_bytes()).split(b"\n")
    lines[6] = lines[6][:40]
    _put(s3, location, BATCH0, gzip.compress(b"\n".join(lines)))
    job = _import(location)
    assert job.state == ImportJob.State.FAILED
    assert f"{BATCH0}: row 7: invalid JSON" in job.error
    assert not Activation.objects.exists()


@pytest.mark.parametrize("fast", [True, False])
def test_rows_of_a_feature_that_does_not_exist_fail_the_file(
    use_moto: str, s3: Any, s3_prefix: Prefix, tmp_path: Path, settings: Any, fast: bool
) -> None:
    settings.IMPORT_FAST_CONSTRAINTS = fast
    location, _, export = s3_prefix()
    rows = _activation_rows(export, 0)
    rows[1] = {**rows[1], "index": "999"}
    _put(s3, location, BATCH0, _gz(rows, tmp_path))
    job = _import(location)
    assert job.state == ImportJob.State.FAILED
    assert BATCH0 in job.error and "999" in job.error and '"Neuron"' in job.error
    assert not Activation.objects.exists()


def test_a_missing_required_file_fails_before_anything_is_written(
    use_moto: str, s3: Any, s3_prefix: Prefix
) -> None:
    location, _, _ = s3_prefix()
    prefix = location.removeprefix(f"s3://{BUCKET}/")
    s3.delete_object(Bucket=BUCKET, Key=f"{prefix}/gpt2-small/6-res-jb/source.jsonl")
    job = _import(location)
    assert job.state == ImportJob.State.FAILED
    assert "gpt2-small/6-res-jb/source.jsonl is missing" in job.error
    assert not job.files.exists() and not Feature.objects.exists()
