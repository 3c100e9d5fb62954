"""Explain every feature of a source (or a list) with an LLM, as one resumable job."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from features import autointerp
from features.models import AutointerpJob, ExplanationModelType
from neuronpedia_site.models import User


class Command(BaseCommand):
    help = (
        "Batch autointerp: explain every feature of --source (or --list) with --type and "
        "--explainer-model as --user; runs here unless --queue. --resume ID / --cancel ID act "
        "on an existing job. docs/autointerp.md."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--model", help="Model id, e.g. gpt2-small.")
        parser.add_argument("--source", default="", help="Source id, e.g. 6-res-jb.")
        parser.add_argument("--list", default="", help="A list id instead of a source.")
        parser.add_argument("--type", default="np_max-act-logits", help="Explainer type.")
        parser.add_argument("--explainer-model", help="An ExplanationModelType name.")
        parser.add_argument("--user", help="Whose keys are used and who authors the rows.")
        parser.add_argument("--concurrency", type=int, default=4)
        parser.add_argument("--rpm", type=int, default=60, help="Most LLM requests a minute.")
        parser.add_argument("--queue", action="store_true", help="Send to a worker instead.")
        parser.add_argument("--resume", type=int, help="Run an existing job again (resume).")
        parser.add_argument("--cancel", type=int, help="Cancel an existing job.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["cancel"]:
            autointerp.cancel_batch(self._job(options["cancel"]))
            self.stdout.write(f"job {options['cancel']}: cancel requested")
            return
        job = self._job(options["resume"]) if options["resume"] else self._new(options)
        if options["resume"]:
            autointerp.requeue_batch(job)
        if options["queue"]:
            autointerp.start_batch(job)
            self.stdout.write(f"job {job.id} queued")
            return
        from workers.autointerp import batch

        batch.run(job.id)
        job.refresh_from_db()
        self.stdout.write(
            f"job {job.id} {job.state}: {job.features_done} explained, {job.features_skipped} "
            f"already done, {job.features_failed} failed of {job.features_total}; "
            f"{job.requests} requests, {job.prompt_tokens}+{job.completion_tokens} tokens"
            + (f"; last error: {job.error}" if job.error else "")
        )

    def _job(self, job_id: int) -> AutointerpJob:
        job = AutointerpJob.objects.filter(id=job_id).first()
        if job is None:
            raise CommandError(f"No autointerp job {job_id}.")
        return job

    def _new(self, options: dict[str, Any]) -> AutointerpJob:
        if not options["model"] or not (options["source"] or options["list"]):
            raise CommandError("Give --model and --source (or --list).")
        if options["type"] not in autointerp.EXPLAINER_TYPES:
            raise CommandError(f"Unknown explainer type {options['type']}.")
        if not ExplanationModelType.objects.filter(name=options["explainer_model"]).exists():
            raise CommandError(f"Unknown explainer model {options['explainer_model']}.")
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']}.")
        return AutointerpJob.objects.create(
            model_id=options["model"],
            source_id=options["source"],
            list_id=options["list"],
            explanation_type=options["type"],
            explanation_model=options["explainer_model"],
            user=user,
            concurrency=options["concurrency"],
            requests_per_minute=options["rpm"],
        )
