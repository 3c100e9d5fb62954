from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from features import umap_jobs
from features.models import Source, UmapJob


class Command(BaseCommand):
    help = (
        "Lay a model's sources out in 2-d with UMAP (decoder directions by default, on the worker "
        "serving the model; --basis explanations for explanation embeddings); --cancel and "
        "--resume act on a job by id."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("model_id", nargs="?", help="Model id, e.g. demo-lm.")
        parser.add_argument("sources", nargs="*", help="Source ids (default: every source).")
        parser.add_argument("--basis", choices=UmapJob.Basis.values, default=UmapJob.Basis.DECODER)
        parser.add_argument("--wait", action="store_true", help="Wait for the jobs to end.")
        parser.add_argument("--timeout", type=float, default=600, help="Seconds --wait waits.")
        parser.add_argument("--cancel", type=int, metavar="JOB_ID", help="Cancel a job.")
        parser.add_argument("--resume", type=int, metavar="JOB_ID", help="Queue a job again.")

    def handle(self, *args: Any, **options: Any) -> str:
        try:
            if options["cancel"] is not None:
                job = umap_jobs.cancel(_job(options["cancel"]))
                return f"UMAP job #{job.pk} cancelled."
            if options["resume"] is not None:
                jobs = [umap_jobs.resume(_job(options["resume"]))]
            else:
                jobs = self._start(options)
        except umap_jobs.UmapJobError as error:
            raise CommandError(str(error)) from error
        for job in jobs:
            self.stdout.write(
                f"UMAP job #{job.pk} {job.model_id}/{job.source_id} ({job.basis}) "
                f"{job.state} on queue {umap_jobs.queue_for(job)}."
            )
        if options["wait"]:
            return self._wait(jobs, options["timeout"])
        return f"{len(jobs)} UMAP job(s) queued."

    def _start(self, options: dict[str, Any]) -> list[UmapJob]:
        model_id = options["model_id"]
        if not model_id:
            raise CommandError("Name a model id (or --cancel / --resume a job).")
        sources = options["sources"] or list(
            Source.objects.filter(model_id=model_id)
            .order_by("source_id")
            .values_list("source_id", flat=True)
        )
        if not sources:
            raise CommandError(f"Model {model_id} has no sources.")
        return [umap_jobs.start(model_id, source, options["basis"]) for source in sources]

    def _wait(self, jobs: list[UmapJob], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        open_states = set(umap_jobs.OPEN_STATES)
        while any(j.state in open_states for j in jobs):
            if time.monotonic() > deadline:
                raise CommandError("Timed out waiting; the jobs go on (see the admin's UMAP jobs).")
            time.sleep(1)
            for job in jobs:
                job.refresh_from_db()
        failed = [j for j in jobs if j.state != UmapJob.State.DONE]
        if failed:
            raise CommandError(
                "; ".join(f"UMAP job #{j.pk} {j.state}: {j.error or j.step}" for j in failed)
            )
        return ", ".join(f"{j.source_id}: {j.points} points" for j in jobs)


def _job(job_id: int) -> UmapJob:
    job = UmapJob.objects.filter(pk=job_id).first()
    if job is None:
        raise CommandError(f"There is no UMAP job #{job_id}.")
    return job
