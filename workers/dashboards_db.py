"""Loading an export directory into the database: the call `--load` and `load_demo` make.

`load_export_dir` goes through the importer (`importer.jobs.prepare_import` + `run_job`, the same
path as an import from S3, with its COPY loader, checkpoints and job rows) whenever the importer
app provides it. Until that branch is merged it falls back to `_load_directly`, which reads the
export with the strict reader of `workers.export_format` and applies Neuronpedia's import rules
(spec §3) the way Neuronpedia does: config rows upserted by name; release, model, source set and
source created if absent (never overwritten); feature, activation and explanation rows inserted
with `INSERT ... SELECT ... FROM jsonb_to_recordset(...) ON CONFLICT DO NOTHING`, so loading the
same export twice adds nothing. Everything of one source loads in one transaction.

No torch here: the web process runs `load_demo`.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction

from workers import export_format as fmt

logger = logging.getLogger(__name__)

CHUNK_ROWS = 5000  # rows per INSERT: one JSON parameter of a few MB
NOW = object()  # default of auto_now(_add) columns: the time of the load


class LoadError(Exception):
    """The export could not be loaded; the message says why."""


@dataclass
class LoadResult:
    model_id: str
    source_id: str
    via: str  # "importer" or "direct"
    rows: int  # rows in the files loaded, config and metadata files included
    skipped: bool = False  # the importer had already loaded this export


def load_export_dir(path: str | Path, model_id: str, source_id: str) -> LoadResult:
    """Load `{path}/v1/{model_id}/{source_id}/` (and `{path}/v1/config/`) into the database."""
    root = Path(path).resolve()
    if not fmt.source_dir(root, model_id, source_id).is_dir():
        raise LoadError(f"{root}: no export for {model_id}/{source_id}")
    if importlib.util.find_spec("importer.jobs") is not None:
        return _load_with_importer(root, model_id, source_id)
    return _load_directly(root, model_id, source_id)


def _load_with_importer(root: Path, model_id: str, source_id: str) -> LoadResult:
    from importer import jobs

    job, needed = jobs.prepare_import(model_id, source_id, location=str(root))
    if needed:
        job = jobs.run_job(job.pk)
    if job.state != "done":
        raise LoadError(f"import of {model_id}/{source_id} {job.state}: {job.error}")
    return LoadResult(model_id, source_id, "importer", int(job.rows_done), skipped=not needed)


def _load_directly(root: Path, model_id: str, source_id: str) -> LoadResult:
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
            _insert(table, export.config.get(name, []), upsert_key="name")
        for table, row in (
            (SourceRelease, export.release),
            (Model, export.model),
            (SourceSet, export.sourceset),
            (Source, export.source),
        ):
            if row is not None:
                _insert(table, [row])
        _insert(Feature, export.features)
        _insert(Activation, export.activations)
        _insert(Explanation, export.explanations)
    rows = sum(len(r) for r in export.config.values()) + (3 if export.release is None else 4)
    rows += len(export.features) + len(export.activations) + len(export.explanations)
    logger.info("loaded %s/%s from %s: %d rows", model_id, source_id, root, rows)
    return LoadResult(model_id, source_id, "direct", rows)


_COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       a.atthasdef OR a.attidentity <> ''
FROM pg_attribute a
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


def _insert(
    table: type[models.Model], rows: list[dict[str, Any]], upsert_key: str | None = None
) -> None:
    """Insert `rows` as Neuronpedia's importer does, in chunks.

    1. The columns are the first row's keys that are columns of the table (others are ignored),
       typed from the catalog for `jsonb_to_recordset`.
    2. NOT NULL columns the rows lack and the database has no default for get the Django
       model's default (`createdAt`: now), since the export leaves them out.
    3. Conflicts on any unique key skip the row; with `upsert_key` they update it instead.
    """
    if not rows:
        return
    name = table._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(_COLUMNS_SQL, [f'"{name}"'])
        catalog = {c: (sql_type, not_null, has_default) for c, sql_type, not_null, has_default
                   in cursor.fetchall()}  # fmt: skip
        present = [c for c in catalog if c in rows[0]]
        defaults = _defaults(table)
        filled = [
            c for c, (_, not_null, has_default) in catalog.items()
            if c not in rows[0] and not_null and not has_default and c in defaults
        ]  # fmt: skip
        record = ", ".join(f'"{c}" {catalog[c][0]}' for c in present)
        values = [f't."{c}"' for c in present]
        params: list[Any] = []
        for c in filled:
            if defaults[c] is NOW:
                values.append("now()")
            else:
                values.append(f"%s::{catalog[c][0]}")
                params.append(defaults[c])
        columns = ", ".join(f'"{c}"' for c in present + filled)
        if upsert_key is None:
            conflict = "DO NOTHING"
        else:
            updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in present if c != upsert_key)
            conflict = f'("{upsert_key}") DO UPDATE SET {updates}'
        sql = (
            f'INSERT INTO "{name}" ({columns}) SELECT {", ".join(values)} '
            f"FROM jsonb_to_recordset(%s::jsonb) AS t({record}) ON CONFLICT {conflict}"
        )
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = json.dumps(rows[start : start + CHUNK_ROWS], ensure_ascii=False)
            cursor.execute(sql, [*params, chunk.replace("\\u0000", " ")])


def _defaults(table: type[models.Model]) -> dict[str, Any]:
    """Column -> the model field's default (NOW for auto_now / auto_now_add)."""
    out: dict[str, Any] = {}
    for field in table._meta.concrete_fields:
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            out[field.column] = NOW
        elif field.has_default():
            out[field.column] = field.get_default()
    return out
