"""Loading an export directory into the database: the call `--load` and `load_demo` make.

`load_export_dir` goes through the importer (`importer.jobs.prepare_import` + `run_job`, the same
path as an import from S3, with its COPY loader, checkpoints and job rows) whenever the importer
app provides it. Until that branch is merged it falls back to `_load_with_orm`, which reads the
export with the strict reader of `workers.export_format` and applies Neuronpedia's import rules
(spec §3) through the ORM: config rows upserted by name; release, model, source set and source
created if absent (never overwritten); feature, activation and explanation rows inserted with
ON CONFLICT DO NOTHING, so loading the same export twice adds nothing. Everything of one source
loads in one transaction.

No torch here: the web process runs `load_demo`.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import models, transaction

from workers import export_format as fmt

logger = logging.getLogger(__name__)

BULK_BATCH = 2000


class LoadError(Exception):
    """The export could not be loaded; the message says why."""


@dataclass
class LoadResult:
    model_id: str
    source_id: str
    via: str  # "importer" or "orm"
    rows: int  # rows read from the export's files
    skipped: bool = False  # the importer had already loaded this export


def load_export_dir(path: str | Path, model_id: str, source_id: str) -> LoadResult:
    """Load `{path}/v1/{model_id}/{source_id}/` (and `{path}/v1/config/`) into the database."""
    root = Path(path).resolve()
    if not fmt.source_dir(root, model_id, source_id).is_dir():
        raise LoadError(f"{root}: no export for {model_id}/{source_id}")
    if importlib.util.find_spec("importer.jobs") is not None:
        return _load_with_importer(root, model_id, source_id)
    return _load_with_orm(root, model_id, source_id)


def _load_with_importer(root: Path, model_id: str, source_id: str) -> LoadResult:
    from importer import jobs

    job, needed = jobs.prepare_import(model_id, source_id, location=str(root))
    if needed:
        job = jobs.run_job(job.pk)
    if job.state != "done":
        raise LoadError(f"import of {model_id}/{source_id} {job.state}: {job.error}")
    return LoadResult(model_id, source_id, "importer", int(job.rows_done), skipped=not needed)


def _load_with_orm(root: Path, model_id: str, source_id: str) -> LoadResult:
    from features.models import (
        Activation,
        Explanation,
        ExplanationModelType,
        ExplanationType,
        Feature,
        Model,
        Source,
        SourceRelease,
        SourceSet,
    )

    try:
        export = fmt.read_source_export(root, model_id, source_id)
    except fmt.ExportFormatError as exc:
        raise LoadError(str(exc)) from exc
    with transaction.atomic():
        # Config types first: explanations name them.
        for name, table in (
            (fmt.EXPLANATION_MODEL_TYPE_FILE, ExplanationModelType),
            (fmt.EXPLANATION_TYPE_FILE, ExplanationType),
        ):
            for row in export.config.get(name, []):
                fields = _fields(table, row)
                table.objects.update_or_create(name=fields.pop("name"), defaults=fields)
        singles = [
            (SourceRelease, export.release),
            (Model, export.model),
            (SourceSet, export.sourceset),
            (Source, export.source),
        ]
        for table, row in singles:
            if row is not None:
                _insert(table, [row])
        _insert(Feature, export.features)
        _insert(Activation, export.activations)
        _insert(Explanation, export.explanations)
    rows = len(export.features) + len(export.activations) + len(export.explanations)
    logger.info("loaded %s/%s from %s: %d rows", model_id, source_id, root, rows)
    return LoadResult(model_id, source_id, "orm", rows)


def _fields(table: type[models.Model], row: dict[str, Any]) -> dict[str, Any]:
    """Model field values from an export row: keys are column names; unknown keys are ignored
    (as Neuronpedia's importer does), as is our surrogate `_key`."""
    columns = {f.column: f.attname for f in table._meta.concrete_fields if f.column != "_key"}
    return {columns[key]: value for key, value in row.items() if key in columns}


def _insert(table: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Insert rows that are not there yet (conflicts on any unique key are skipped)."""
    table.objects.bulk_create(
        [table(**_fields(table, row)) for row in rows], batch_size=BULK_BATCH, ignore_conflicts=True
    )
