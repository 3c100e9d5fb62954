from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from importer import exports, jobs, status
from importer.management.commands._progress import JobBar
from importer.models import ImportJob


class Command(BaseCommand):
    help = "Import one source of a Neuronpedia dataset export (resumes an unfinished import)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("model_id", help="e.g. gpt2-small")
        parser.add_argument("source_id", help="e.g. 6-res-jb")
        parser.add_argument(
            "--from",
            dest="location",
            default="",
            help="s3://bucket/prefix, https://base-url or a directory (default: IMPORT_FROM).",
        )
        parser.add_argument("--endpoint-url", default="", help="An S3-compatible store's URL.")
        parser.add_argument(
            "--no-sign-request",
            action="store_true",
            help="S3: send unsigned requests even where credentials are found (as the aws CLI).",
        )
        parser.add_argument("--explanations", choices=exports.EXPLANATIONS_CHOICES, default="true")
        parser.add_argument("--explanation-batch-start", type=int, default=0)
        parser.add_argument(
            "--resync", action="store_true", help="Go over every file again (adds what is missing)."
        )
        parser.add_argument(
            "--async", dest="run_async", action="store_true", help="Queue it for a worker."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> str:
        location = options["location"] or settings.IMPORT_FROM
        try:
            job, run = jobs.prepare_import(
                options["model_id"],
                options["source_id"],
                location=location,
                endpoint_url=options["endpoint_url"],
                no_sign_request=options["no_sign_request"],
                explanations=options["explanations"],
                explanation_batch_start=options["explanation_batch_start"],
                resync=options["resync"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not run:
            if job.state == ImportJob.State.DONE:
                self._print_report(job)
                return f"Already imported (job {job.pk}); use --resync to go over it again."
            return f"Job {job.pk} is running in another process."
        if options["run_async"]:
            jobs.enqueue(job)
            return f"Queued job {job.pk} ({job.label})."
        self.stdout.write(f"Importing {job.label} from {location} (job {job.pk})")
        with JobBar(job.label, enabled=not options["no_progress"]) as bar:
            job = jobs.run_job(job.pk, on_progress=bar.update)
        if job.state != ImportJob.State.DONE:
            raise CommandError(f"Import {job.state} (job {job.pk}): {job.error}")
        self._print_report(job)
        info = status.job_status(job, alive=False)
        return (
            f"Imported {job.label}: {job.rows_done:,} rows ({job.rows_inserted:,} new) "
            f"from {job.files_done} files, {info['rowsPerSecond']:,.0f} rows/s."
        )

    def _print_report(self, job: ImportJob) -> None:
        report = job.report or {}
        for table, entry in report.get("tables", {}).items():
            self.stdout.write(
                f"  {table:<28} files {entry['filesDone']}/{entry['files']}  "
                f"rows {entry['expected']:,}  present {entry['present']:,}  "
                f"missing {entry['missing']:,}"
            )
        if report:
            self.stdout.write(f"  complete: {json.dumps(report.get('complete'))}")
