"""Starting, cancelling and resuming UMAP layout jobs (`workers/umap_job.py` runs them).

A job over decoder directions goes to the queue of the workers serving the model
(`inference.<modelId>`), where the SAE is loaded; one over explanation embeddings needs only the
database and goes to `default`. Called by the `compute_umap` command and by `serve` for the demo
pack's sources.
"""

from __future__ import annotations

from django.db import transaction

from bus import client, routing, task_names
from features.models import Source, UmapJob

OPEN_STATES = (UmapJob.State.QUEUED, UmapJob.State.RUNNING)


class UmapJobError(Exception):
    """A job that cannot be started, cancelled or resumed; the message says why."""


def queue_for(job: UmapJob) -> str:
    if job.basis == UmapJob.Basis.DECODER:
        return routing.queue_for(job.model_id)
    return client.DEFAULT_QUEUE


def pending(model_id: str, source_id: str) -> UmapJob | None:
    """The source's queued or running job, if any."""
    return (
        UmapJob.objects.filter(model_id=model_id, source_id=source_id, state__in=OPEN_STATES)
        .order_by("id")
        .first()
    )


def start(model_id: str, source_id: str, basis: str = UmapJob.Basis.DECODER) -> UmapJob:
    """A queued job for the source, sent once the row is committed; the open one if any."""
    if basis not in UmapJob.Basis.values:
        allowed = ", ".join(UmapJob.Basis.values)
        raise UmapJobError(f"Unknown basis {basis!r}; use one of {allowed}.")
    if not Source.objects.filter(model_id=model_id, source_id=source_id).exists():
        raise UmapJobError(f"There is no source {model_id}/{source_id}.")
    open_job = pending(model_id, source_id)
    if open_job is not None:
        return open_job
    job = UmapJob.objects.create(model_id=model_id, source_id=source_id, basis=basis)
    transaction.on_commit(lambda: _send(job))
    return job


def cancel(job: UmapJob) -> UmapJob:
    """Stop a queued or running job: the worker sees the state at its next step and writes
    nothing; a queued one never starts."""
    updated = UmapJob.objects.filter(pk=job.pk, state__in=OPEN_STATES).update(
        state=UmapJob.State.CANCELLED, step="cancelled"
    )
    job.refresh_from_db()
    if not updated:
        raise UmapJobError(f"UMAP job #{job.pk} is {job.state}; only open jobs can be cancelled.")
    return job


def resume(job: UmapJob) -> UmapJob:
    """Queue a cancelled or failed job again; it starts its steps from the beginning."""
    updated = UmapJob.objects.filter(
        pk=job.pk, state__in=(UmapJob.State.CANCELLED, UmapJob.State.FAILED)
    ).update(state=UmapJob.State.QUEUED, step="", progress=0, error="", finished_at=None)
    job.refresh_from_db()
    if not updated:
        raise UmapJobError(f"UMAP job #{job.pk} is {job.state}; only stopped jobs can resume.")
    transaction.on_commit(lambda: _send(job))
    return job


def start_missing(model_id: str) -> list[UmapJob]:
    """A decoder-direction job for each source of the model without a layout or an open job
    (the demo pack's sources, when `serve` starts)."""
    sources = Source.objects.filter(model_id=model_id, has_umap=False).order_by("source_id")
    return [start(model_id, s.source_id) for s in sources]


def _send(job: UmapJob) -> None:
    task_id = client.send(task_names.UMAP_LAYOUT, {"job_id": job.pk}, queue=queue_for(job))
    UmapJob.objects.filter(pk=job.pk).update(task_id=task_id)
    job.task_id = task_id
