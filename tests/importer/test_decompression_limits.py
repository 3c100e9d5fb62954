"""A gzip bomb fails its file with a clear error and the importer's memory stays bounded:
a line is capped (IMPORT_MAX_LINE_BYTES) and so is what a file may inflate to
(IMPORT_MAX_INFLATED_BYTES)."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from features.models import Activation, Feature
from importer import jobs
from importer.models import ImportFile, ImportJob
from tests.support.exportgen import write_export

pytestmark = pytest.mark.django_db

BATCH0 = "gpt2-small/6-res-jb/activations/batch-0.jsonl.gz"
MiB = 1 << 20


def _bomb(members: int, piece: bytes) -> bytes:
    """`members` gzip members of 1 MiB of `piece` each: ~1 KiB per MiB inflated."""
    member = gzip.compress(piece * (MiB // len(piece)), compresslevel=9)
    return member * members


def _import_with_bomb(tmp_path: Path, bomb: bytes) -> tuple[ImportJob, int]:
    """Import a directory export whose first activation batch is `bomb`; the job and the
    peak of Python memory allocated while it ran."""
    write_export(tmp_path)
    (tmp_path / BATCH0).write_bytes(bomb)
    job, run = jobs.prepare_import("gpt2-small", "6-res-jb", location=str(tmp_path))
    assert run
    tracemalloc.start()
    try:
        job = jobs.run_job(job.pk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return job, peak


def test_a_line_without_end_fails_the_file_and_memory_stays_bounded(
    tmp_path: Path, settings: Any
) -> None:
    settings.IMPORT_MAX_LINE_BYTES = 4 * MiB
    bomb = _bomb(256, b"x")  # 256 KiB that inflate to 256 MiB with no newline
    assert len(bomb) < 300_000
    job, peak = _import_with_bomb(tmp_path, bomb)
    assert job.state == ImportJob.State.FAILED
    assert job.error == f"{BATCH0}: a line longer than 4,194,304 bytes (IMPORT_MAX_LINE_BYTES)"
    assert job.files.get(path=BATCH0).state == ImportFile.State.FAILED
    assert peak < 32 * MiB, f"peak {peak / MiB:.0f} MiB"
    # the files before the bomb are in; nothing of it
    assert Feature.objects.count() == 6 and not Activation.objects.exists()


def test_a_file_that_inflates_past_the_limit_fails_and_memory_stays_bounded(
    tmp_path: Path, settings: Any
) -> None:
    settings.IMPORT_MAX_INFLATED_BYTES = 64 * MiB
    bomb = _bomb(256, b"\n")  # 256 MiB of blank lines: no row, no long line
    job, peak = _import_with_bomb(tmp_path, bomb)
    assert job.state == ImportJob.State.FAILED
    assert job.error == (
        f"{BATCH0}: inflates to more than 67,108,864 bytes (IMPORT_MAX_INFLATED_BYTES)"
    )
    assert peak < 32 * MiB, f"peak {peak / MiB:.0f} MiB"
    assert not Activation.objects.exists()


def test_files_at_the_limits_load_whole(tmp_path: Path, settings: Any) -> None:
    """The limits count exactly: with the longest line and the largest file of the export as
    the limits, every file loads, to the row (batch-0 as one gzip member per line)."""
    export = write_export(tmp_path)
    lines = gzip.decompress((tmp_path / BATCH0).read_bytes()).splitlines(keepends=True)
    (tmp_path / BATCH0).write_bytes(b"".join(gzip.compress(line) for line in lines))
    texts = [
        gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
        for p in tmp_path.rglob("*.jsonl*")
        if "old" not in p.parts  # activations/old/ is never read
    ]
    settings.IMPORT_MAX_LINE_BYTES = max(len(ln) for t in texts for ln in t.splitlines())
    settings.IMPORT_MAX_INFLATED_BYTES = max(len(t) for t in texts)
    job, run = jobs.prepare_import("gpt2-small", "6-res-jb", location=str(tmp_path))
    job = jobs.run_job(job.pk)
    assert job.state == ImportJob.State.DONE, job.error
    assert Activation.objects.count() == len(export.rows["6-res-jb"]["Activation"]) == 18
