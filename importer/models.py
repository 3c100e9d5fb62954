"""Import jobs and their per-file checkpoints.

An ImportJob is one import of one source (or a config sync) from one location. Its files are
planned once, as ImportFile rows in load order; each file is loaded in one transaction that
also marks its ImportFile done, so a job that dies resumes at the first file not done, and
the rows per file are there to check the result against (`importer/report.py`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        SOURCE = "source"
        CONFIG = "config"

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.SOURCE)
    location = models.TextField(help_text="s3://bucket/prefix, https://... or a directory.")
    endpoint_url = models.TextField(blank=True, default="")
    # S3: unsigned requests even where credentials are found (`--no-sign-request`)
    no_sign_request = models.BooleanField(default=False)
    model_id = models.CharField(max_length=64, blank=True, default="")
    source_id = models.CharField(max_length=255, blank=True, default="")
    explanations = models.CharField(max_length=5, default="true")  # true | only | false
    explanation_batch_start = models.IntegerField(default=0)
    resync = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True, default="")
    task_id = models.CharField(max_length=64, blank=True, default="")
    attempts = models.IntegerField(default=0)
    files_total = models.IntegerField(default=0)
    files_done = models.IntegerField(default=0)
    bytes_total = models.BigIntegerField(default=0)
    bytes_done = models.BigIntegerField(default=0)
    rows_done = models.BigIntegerField(default=0)
    rows_inserted = models.BigIntegerField(default=0)
    # seconds spent loading files, summed over attempts (for rows/s)
    seconds = models.FloatField(default=0)
    report = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # Used by jobs.start_import and the panel: the latest job of a source.
            models.Index(fields=["model_id", "source_id", "-id"], name="importjob_source"),
            # Used by the status endpoint: jobs still queued or running.
            models.Index(fields=["state"], name="importjob_state"),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.CONFIG:
            return f"config sync #{self.pk}"
        return f"{self.model_id}/{self.source_id} #{self.pk}"

    @property
    def label(self) -> str:
        return "config" if self.kind == self.Kind.CONFIG else f"{self.model_id}/{self.source_id}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "kind": self.kind,
            "label": self.label,
            "modelId": self.model_id,
            "sourceId": self.source_id,
            "location": self.location,
            "state": self.state,
            "resync": self.resync,
            "explanations": self.explanations,
            "error": self.error,
            "attempts": self.attempts,
            "filesTotal": self.files_total,
            "filesDone": self.files_done,
            "bytesTotal": self.bytes_total,
            "bytesDone": self.bytes_done,
            "rowsDone": self.rows_done,
            "rowsInserted": self.rows_inserted,
            "cancelRequested": self.cancel_requested,
            "createdAt": self.created_at.isoformat() if self.created_at else None,
            "startedAt": self.started_at.isoformat() if self.started_at else None,
            "finishedAt": self.finished_at.isoformat() if self.finished_at else None,
        }


class ImportFile(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="files")
    order = models.IntegerField()
    path = models.TextField()
    table = models.CharField(max_length=64)
    size = models.BigIntegerField(default=0)
    etag = models.CharField(max_length=128, blank=True, default="")
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    rows = models.BigIntegerField(null=True, blank=True)  # non-blank lines in the file
    inserted = models.BigIntegerField(null=True, blank=True)  # of those, new to the table
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "order"]
        constraints = [
            models.UniqueConstraint(fields=["job", "path"], name="importfile_job_path"),
            models.UniqueConstraint(fields=["job", "order"], name="importfile_job_order"),
        ]

    def __str__(self) -> str:
        return self.path

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "table": self.table,
            "size": self.size,
            "state": self.state,
            "rows": self.rows,
            "inserted": self.inserted,
            "seconds": self.seconds,
            "error": self.error,
            "finishedAt": self.finished_at.isoformat() if self.finished_at else None,
        }
