from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from importer import jobs
from importer.models import ImportJob


class Command(BaseCommand):
    help = "Cancel an import job (a running one stops within a second; its file rolls back)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("job_id", type=int)

    def handle(self, *args: Any, **options: Any) -> str:
        job = ImportJob.objects.filter(pk=options["job_id"]).first()
        if job is None:
            raise CommandError(f"No import job {options['job_id']}.")
        job = jobs.cancel(job)
        return f"Job {job.pk} ({job.label}): {job.state}, cancel requested."
