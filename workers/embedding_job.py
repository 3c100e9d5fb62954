"""The background job that gives every explanation its local embedding.

Imported, uploaded and generated explanations all land in "Explanation"; this job embeds the
ones with no "ExplanationEmbedding" row yet, in batches, each written in its own transaction,
and records its progress on its EmbeddingJob row. Nothing else marks a row as done, so a job
that dies is resumed by running it again (the task is acknowledged late, so Celery redelivers
it), and a job kicked while another runs simply finds less to do.

One job at a time holds a PostgreSQL advisory lock; another one waits for it, then finds what
was added meanwhile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from features.models import EmbeddingJob
from workers import embeddings

log = logging.getLogger(__name__)

BATCH_ROWS = 512
LOCK_KEY = 0x6E70_656D  # "npem": the advisory lock of the embedding job

ProgressCallback = Callable[[EmbeddingJob], None]

_PENDING = """
    SELECT e.id, e.description FROM "Explanation" e
    WHERE e.id > %s
      AND NOT EXISTS (SELECT 1 FROM "ExplanationEmbedding" ee WHERE ee."explanationId" = e.id)
    ORDER BY e.id LIMIT %s
"""
_COUNT_PENDING = """
    SELECT count(*) FROM "Explanation" e
    WHERE NOT EXISTS (SELECT 1 FROM "ExplanationEmbedding" ee WHERE ee."explanationId" = e.id)
"""
# The explanation may have been deleted while its batch was being embedded: join, don't trust.
_INSERT = """
    INSERT INTO "ExplanationEmbedding" ("explanationId", "modelId", layer, embedding)
    SELECT e.id, e."modelId", e.layer, v.embedding::vector
    FROM unnest(%s::text[], %s::text[]) AS v(id, embedding)
    JOIN "Explanation" e ON e.id = v.id
    ON CONFLICT ("explanationId") DO NOTHING
"""


def pending_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_PENDING)
        return int(cursor.fetchone()[0])


def run(
    job_id: int, on_progress: ProgressCallback | None = None, batch_rows: int = BATCH_ROWS
) -> EmbeddingJob:
    """Embed every explanation without a local embedding; the job ends done or failed."""
    job = EmbeddingJob.objects.get(pk=job_id)
    if job.state in (EmbeddingJob.State.DONE, EmbeddingJob.State.FAILED):
        return job
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
    try:
        job.state = EmbeddingJob.State.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.total = job.done + pending_count()
        job.save(update_fields=["state", "started_at", "total"])
        try:
            _embed_all(job, on_progress, batch_rows)
        except Exception as exc:
            log.exception("embedding job %s failed", job_id)
            return _finish(job, EmbeddingJob.State.FAILED, f"{type(exc).__name__}: {exc}")
        return _finish(job, EmbeddingJob.State.DONE)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def _embed_all(job: EmbeddingJob, on_progress: ProgressCallback | None, batch_rows: int) -> None:
    """Pass over the explanations in id order; rows added behind the pass are found by the
    next one, until a count finds none left."""
    while True:
        after = ""
        while batch := _pending_batch(after, batch_rows):
            started = time.perf_counter()
            ids = [row[0] for row in batch]
            vectors = embeddings.embed([row[1] for row in batch])
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(_INSERT, [ids, [embeddings.vector_literal(v) for v in vectors]])
            job.done += len(batch)
            job.seconds += time.perf_counter() - started
            job.total = max(job.total, job.done)
            job.save(update_fields=["done", "seconds", "total"])
            if on_progress is not None:
                on_progress(job)
            after = ids[-1]
        left = pending_count()
        if not left:
            return
        job.total = job.done + left
        job.save(update_fields=["total"])


def _pending_batch(after: str, batch_rows: int) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(_PENDING, [after, batch_rows])
        return [(row[0], row[1]) for row in cursor.fetchall()]


def _finish(job: EmbeddingJob, state: str, error: str = "") -> EmbeddingJob:
    job.state = state
    job.error = error
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "error", "finished_at"])
    log.info("embedding job %s %s: %s of %s", job.pk, state, job.done, job.total)
    return job
