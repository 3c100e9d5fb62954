"""Celery tasks of the importer: thin wrappers around `importer.jobs`."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="importer.tasks.import_job",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # Imports of large sources take hours; the worker's default hard limit would kill them.
    time_limit=7 * 24 * 3600,
    soft_time_limit=7 * 24 * 3600 - 60,
)
def import_job(job_id: int) -> str:
    """Run or resume an import job (a redelivered task resumes at the first unfinished file)."""
    from importer.jobs import run_job

    return run_job(job_id).state
