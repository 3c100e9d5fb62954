"""The operator commands: import_source, sync_config and list_exports, from S3, a directory
and an http server; a failure exits non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from features.autointerp import EXPLANATION_TYPE_ROWS
from features.models import Activation, ExplanationType, Feature
from importer.models import ImportJob
from tests.support.exportgen import Export
from tests.support.worker_processes import worker_database_url

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _call(*args: str) -> str:
    out = StringIO()
    call_command(*args, "--no-progress", stdout=out) if args[0] != "list_exports" else call_command(
        *args, stdout=out
    )
    return out.getvalue()


def test_import_source_from_s3_with_an_endpoint_url(
    moto_endpoint: str, s3_export: tuple[str, Export]
) -> None:
    out = _call(
        "import_source", "gpt2-small", "6-res-jb", "--from", s3_export[0],
        "--endpoint-url", moto_endpoint,
    )  # fmt: skip
    # 37 new: three of the export's config rows are types a fresh install already has
    assert "Imported gpt2-small/6-res-jb: 40 rows (37 new) from 15 files" in out
    assert "complete: true" in out
    assert (Feature.objects.count(), Activation.objects.count()) == (6, 18)
    assert ImportJob.objects.get().endpoint_url == moto_endpoint
    again = _call(
        "import_source", "gpt2-small", "6-res-jb", "--from", s3_export[0],
        "--endpoint-url", moto_endpoint,
    )  # fmt: skip
    assert "Already imported" in again


def test_import_source_from_a_directory_and_over_http(
    export_dir: tuple[Path, Export], http_export: str
) -> None:
    _call("import_source", "gpt2-small", "2-res-jb", "--from", str(export_dir[0]))
    _call("import_source", "gpt2-small", "4-att-kk", "--from", http_export)
    assert Feature.objects.filter(layer="2-res-jb").count() == 6
    assert Activation.objects.filter(layer="4-att-kk").count() == 18


def test_import_source_with_a_progress_bar(export_dir: tuple[Path, Export], capsys: Any) -> None:
    call_command("import_source", "gpt2-small", "6-res-jb", "--from", str(export_dir[0]))
    err = capsys.readouterr().err
    assert "gpt2-small/6-res-jb" in err and "rows=" in err and "rows_s=" in err


def test_a_failed_import_raises(tmp_path: Path, export_dir: tuple[Path, Export]) -> None:
    with pytest.raises(CommandError, match="no export at gpt2-small/9-nope"):
        _call("import_source", "gpt2-small", "9-nope", "--from", str(export_dir[0]))
    assert ImportJob.objects.get().state == ImportJob.State.FAILED


@pytest.mark.django_db(transaction=True)  # the command commits in its own process
def test_a_failed_import_exits_non_zero(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": worker_database_url(),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "import_source", "gpt2-small", "6-res-jb", "--from",
         str(tmp_path / "missing"), "--no-progress"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert result.returncode == 1
    assert "no such directory" in result.stderr
    assert ImportJob.objects.get().state == ImportJob.State.FAILED


def test_import_source_async_queues_the_job(export_dir: tuple[Path, Export]) -> None:
    out = _call("import_source", "gpt2-small", "6-res-jb", "--from", str(export_dir[0]), "--async")
    job = ImportJob.objects.get()
    assert f"Queued job {job.pk}" in out and job.task_id and job.state == "queued"


def test_sync_config(export_dir: tuple[Path, Export]) -> None:
    out = _call("sync_config", "--from", str(export_dir[0]))
    assert "Synced 5 config files" in out and "ExplanationType" in out
    # The export's two types, beside those a fresh install seeds (features.autointerp).
    assert ExplanationType.objects.count() == len(
        {"oai_token-act-pair", "np_max-act"} | set(EXPLANATION_TYPE_ROWS)
    )


def test_list_exports(export_dir: tuple[Path, Export]) -> None:
    assert "gpt2-small" in _call("list_exports", "--from", str(export_dir[0]))
    _call("import_source", "gpt2-small", "6-res-jb", "--from", str(export_dir[0]))
    out = _call("list_exports", "gpt2-small", "--from", str(export_dir[0]))
    assert "res-jb  (1 of 2 imported)" in out
    assert "L2    2-res-jb" in out and "new" in out
    assert out.index("2-res-jb") < out.index("6-res-jb")
    with pytest.raises(CommandError, match="no such directory"):
        _call("list_exports", "--from", "/nonexistent/exports")


def test_a_failed_attempt_leaves_an_imported_source_imported(
    tmp_path: Path, export_dir: tuple[Path, Export]
) -> None:
    location = str(export_dir[0])
    _call("import_source", "gpt2-small", "6-res-jb", "--from", location)
    # say, a re-sync from a bucket that is unreachable at the time
    with pytest.raises(CommandError, match="no such directory"):
        _call(
            "import_source", "gpt2-small", "6-res-jb", "--from", str(tmp_path / "gone"), "--resync"
        )
    failed = ImportJob.objects.latest("id")
    assert failed.state == ImportJob.State.FAILED
    out = _call("list_exports", "gpt2-small", "--from", location)
    assert "res-jb  (1 of 2 imported)" in out
    line = next(line for line in out.splitlines() if "6-res-jb" in line)
    assert line.split() == [
        "L6",
        "6-res-jb",
        "imported",
        "(last",
        "attempt",
        "failed,",
        "job",
        f"{failed.pk})",
    ]
