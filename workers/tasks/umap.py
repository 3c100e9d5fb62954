"""The UMAP layout job's task: on `inference.<modelId>` for decoder directions (the worker
serving the model has the SAE), on `default` for explanation embeddings."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from workers import umap_job


# A long job, as imports are: acknowledged when it ends, so a worker that dies hands it on.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def layout_source(job_id: int) -> dict[str, Any]:
    """Run a UmapJob (features.models) to its end; `{state, points}`."""
    job = umap_job.run(job_id)
    return {"state": job.state, "points": job.points}
