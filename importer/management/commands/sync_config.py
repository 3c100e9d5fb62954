from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from importer import jobs
from importer.management.commands._progress import JobBar
from importer.models import ImportJob


class Command(BaseCommand):
    help = "Upsert the config tables (explanation, score and eval types) from config/*.jsonl."

    def add_arguments(self, parser: Any) -> None:
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
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> str:
        location = options["location"] or settings.IMPORT_FROM
        job = jobs.prepare_config_sync(
            location, options["endpoint_url"], no_sign_request=options["no_sign_request"]
        )
        with JobBar("config", enabled=not options["no_progress"]) as bar:
            job = jobs.run_job(job.pk, on_progress=bar.update)
        if job.state != ImportJob.State.DONE:
            raise CommandError(f"Config sync {job.state} (job {job.pk}): {job.error}")
        for file in job.files.all():
            self.stdout.write(f"  {file.table:<24} {file.rows:>6} rows  ({file.path})")
        return f"Synced {job.files_done} config files from {location}."
