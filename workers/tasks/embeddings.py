"""Explanation-search embedding tasks: a query's embedding (queue `embed`, the web side waits
for it) and the background job that embeds explanations (queue `default`)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from workers import embedding_job, embeddings


@shared_task
def embed_query(text: str) -> dict[str, Any]:
    """`{embedding: [384 floats], model}`: the query's unit-length local embedding."""
    return {
        "embedding": [float(x) for x in embeddings.embed([text])[0]],
        "model": embeddings.MODEL_NAME,
    }


@shared_task
def embed_explanations(job_id: int) -> dict[str, Any]:
    """Run an EmbeddingJob (features.models) to its end; `{state, done, total}`."""
    job = embedding_job.run(job_id)
    return {"state": job.state, "done": job.done, "total": job.total}
