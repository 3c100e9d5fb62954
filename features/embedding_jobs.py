"""Starting the background job that embeds explanations (workers/embedding_job.py runs it).

Called wherever explanations are written (imports, uploads, generated explanations) after the
rows are committed. One queued job is enough: whenever it runs, it embeds every explanation
still missing an embedding, so a kick while one is queued adds nothing.
"""

from __future__ import annotations

from django.db import transaction

from bus import client, task_names
from features.models import EmbeddingJob


def kick() -> EmbeddingJob:
    """The queued embedding job, created and sent to a worker (queue default) if none is."""
    queued = EmbeddingJob.objects.filter(state=EmbeddingJob.State.QUEUED).order_by("id").first()
    if queued is not None:
        return queued
    job = EmbeddingJob.objects.create()
    transaction.on_commit(lambda: _send(job))
    return job


def _send(job: EmbeddingJob) -> None:
    task_id = client.send(task_names.EMBED_EXPLANATIONS, {"job_id": job.pk})
    EmbeddingJob.objects.filter(pk=job.pk).update(task_id=task_id)
    job.task_id = task_id
