"""Autointerp tasks (queue default): thin wrappers around `workers.autointerp.jobs`, sent by name
from the web side (`bus.task_names.AUTOINTERP_*`)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from bus.claims import WAITED_FOR_TASK_OPTIONS
from workers.autointerp import jobs


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def explain(**kwargs: Any) -> dict[str, Any]:
    return jobs.explain_feature(**kwargs)


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def score(**kwargs: Any) -> dict[str, Any]:
    return jobs.score_explanation(**kwargs)


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def v1_explain_default(**kwargs: Any) -> dict[str, Any]:
    return jobs.v1_explain_default(**kwargs)


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def v1_score_fuzz_detection(**kwargs: Any) -> dict[str, Any]:
    return jobs.v1_score_fuzz_detection(**kwargs)


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def v1_score_embedding(**kwargs: Any) -> dict[str, Any]:
    return jobs.v1_score_embedding(**kwargs)


# A long job: acknowledged when it ends, so Redis hands it to another worker if this one dies
# (the job row resumes where it stopped, skipping features already explained).
@shared_task(acks_late=True, reject_on_worker_lost=True)
def batch(job_id: int) -> None:
    """A batch autointerp job (`AutointerpJob`), run to the end or until cancelled."""
    from workers.autointerp import batch as batch_job

    batch_job.run(job_id)
