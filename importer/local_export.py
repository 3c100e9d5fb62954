"""Loading an export directory into the database: what `load_demo` and
`generate_dashboards --load` call.

It is an import like any other (`jobs.prepare_import` + `run_job`, with the COPY loader,
checkpoints and a job row in the admin), read from a local directory instead of a bucket, and run
in this process rather than on a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from importer import jobs
from neuronpedia_format.layout import source_dir


class LoadError(Exception):
    """The export could not be loaded; the message says why."""


@dataclass
class LoadResult:
    model_id: str
    source_id: str
    rows: int  # rows in the files loaded, config and metadata files included
    skipped: bool = False  # the importer had already loaded this export


def load_export_dir(path: str | Path, model_id: str, source_id: str) -> LoadResult:
    """Load `{path}/v1/{model_id}/{source_id}/` (and `{path}/v1/config/`) into the database."""
    root = Path(path).resolve()
    if not source_dir(root, model_id, source_id).is_dir():
        raise LoadError(f"{root}: no export for {model_id}/{source_id}")
    job, needed = jobs.prepare_import(model_id, source_id, location=str(root))
    if needed:
        job = jobs.run_job(job.pk)
    if job.state != "done":
        raise LoadError(f"import of {model_id}/{source_id} {job.state}: {job.error}")
    return LoadResult(model_id, source_id, int(job.rows_done), skipped=not needed)
