"""Explanation-search embedding tasks: a query's embedding (queue `embed`, the web side waits
for it) and the background job that embeds explanations (queue `default`)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from bus.claims import WAITED_FOR_TASK_OPTIONS
from workers import embedding_job, embeddings


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def embed_query(text: str) -> dict[str, Any]:
    """`{embedding: [384 floats], model}`: the query's unit-length local embedding."""
    return {
        "embedding": [float(x) for x in embeddings.embed([text])[0]],
        "model": embeddings.MODEL_NAME,
    }


# A long job, as imports are: acknowledged when it ends (the job row restarts cleanly).
@shared_task(acks_late=True, reject_on_worker_lost=True)
def embed_explanations(job_id: int) -> dict[str, Any]:
    """Run an EmbeddingJob (features.models) to its end; `{state, done, total}`."""
    job = embedding_job.run(job_id)
    return {"state": job.state, "done": job.done, "total": job.total}
