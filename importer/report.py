"""Completeness of an import: files planned and loaded, rows expected and rows present.

"Expected" is the number of rows in the job's files (counted while loading them), "present"
what the tables hold for the source now. Present may exceed expected (rows that came from
elsewhere, e.g. activations saved from searches); below expected means rows are missing,
and a re-sync puts them back.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from importer.locations import ExportReader
from importer.models import ImportFile, ImportJob
from neuronpedia_format.layout import BULK_TABLES, CONFIG_FILES


def completeness(job: ImportJob, reader: ExportReader | None = None) -> dict[str, Any]:
    """The report of `job`; with a `reader`, files now in the location but not in the job's
    plan are listed too (new batches uploaded since: re-sync to get them)."""
    files = list(job.files.all())
    tables: dict[str, dict[str, Any]] = {}
    for file in files:
        entry = tables.setdefault(
            file.table, {"files": 0, "filesDone": 0, "expected": 0, "inserted": 0}
        )
        entry["files"] += 1
        if file.state == ImportFile.State.DONE:
            entry["filesDone"] += 1
            entry["expected"] += file.rows or 0
            entry["inserted"] += file.inserted or 0
    for table, entry in tables.items():
        entry["present"] = _present(job, table)
        entry["missing"] = max(entry["expected"] - entry["present"], 0)
    states = [f.state for f in files]
    result: dict[str, Any] = {
        "files": {
            "planned": len(files),
            "done": states.count(ImportFile.State.DONE),
            "pending": states.count(ImportFile.State.PENDING),
            "failed": states.count(ImportFile.State.FAILED),
        },
        "tables": tables,
        "failedFiles": [f.path for f in files if f.state == ImportFile.State.FAILED],
    }
    if reader is not None and job.kind == ImportJob.Kind.SOURCE:
        result["newFiles"] = _unplanned(job, reader, {f.path for f in files})
    result["complete"] = (
        len(files) > 0
        and result["files"]["done"] == len(files)
        and all(t["missing"] == 0 for t in tables.values())
        and not result.get("newFiles")
    )
    return result


def _present(job: ImportJob, table: str) -> int:
    with connection.cursor() as cursor:
        if table in BULK_TABLES:
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE "modelId" = %s AND layer = %s',
                [job.model_id, job.source_id],
            )
        elif table in CONFIG_FILES.values():
            cursor.execute(f'SELECT count(*) FROM "{table}"')
        elif table == "Model":
            cursor.execute('SELECT count(*) FROM "Model" WHERE id = %s', [job.model_id])
        elif table == "Source":
            cursor.execute(
                'SELECT count(*) FROM "Source" WHERE "modelId" = %s AND id = %s',
                [job.model_id, job.source_id],
            )
        elif table == "SourceSet":
            cursor.execute(
                'SELECT count(*) FROM "SourceSet" s JOIN "Source" src '
                'ON src."modelId" = s."modelId" AND src."setName" = s.name '
                'WHERE src."modelId" = %s AND src.id = %s',
                [job.model_id, job.source_id],
            )
        else:  # releases, inference hosts: rows are shared, present means "all there"
            cursor.execute(f'SELECT count(*) FROM "{table}"')
        return int(cursor.fetchone()[0])


def _unplanned(job: ImportJob, reader: ExportReader, planned: set[str]) -> list[str]:
    from importer import exports

    root = exports.dataset_root(reader)
    now = exports.plan_source(
        reader, root, job.model_id, job.source_id, job.explanations, job.explanation_batch_start
    )
    return [p.path for p in now if p.path not in planned]
