from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from features import embedding_jobs
from features.models import EmbeddingJob
from workers import embedding_job


class Command(BaseCommand):
    help = (
        "Give every explanation without one its local embedding (all-MiniLM-L6-v2), for "
        "explanation search. Runs here, as an EmbeddingJob row with progress; --queue sends "
        "the job to a worker instead."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--queue", action="store_true", help="Send the job to a worker (queue default)."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=embedding_job.BATCH_ROWS,
            help="Explanations embedded and written per transaction.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["queue"]:
            job = embedding_jobs.kick()
            self.stdout.write(f"Embedding job #{job.pk} queued.")
            return
        job = EmbeddingJob.objects.create()
        bar = tqdm(
            desc="embedding explanations",
            unit="expl",
            file=sys.stderr,
            disable=options["no_progress"],
            dynamic_ncols=True,
        )

        def progress(running: EmbeddingJob) -> None:
            bar.total = running.total
            bar.n = running.done
            bar.refresh()

        job = embedding_job.run(job.pk, on_progress=progress, batch_rows=options["batch_size"])
        bar.close()
        if job.state != EmbeddingJob.State.DONE:
            raise CommandError(f"Embedding job #{job.pk} {job.state}: {job.error}")
        rate = job.done / job.seconds if job.seconds else 0.0
        self.stdout.write(
            f"Embedding job #{job.pk} done: {job.done} explanations embedded ({rate:.0f}/s)."
        )
