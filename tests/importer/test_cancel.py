"""Cancelling a queued job (a running one: test_mid_copy.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from features.models import Feature
from importer import jobs
from importer.models import ImportJob
from tests.support.exportgen import Export


@pytest.mark.django_db
def test_a_queued_job_is_cancelled_at_once(s3_export: tuple[str, Export], use_moto: str) -> None:
    job, _ = jobs.prepare_import("gpt2-small", "6-res-jb", location=s3_export[0])
    jobs.enqueue(job)  # no worker: it stays queued
    job = jobs.cancel(job)
    assert job.state == ImportJob.State.CANCELLED and job.task_id
    assert jobs.run_job(job.pk).state == ImportJob.State.CANCELLED  # a late worker skips it
    assert not Feature.objects.exists()


@pytest.mark.django_db
def test_the_cancel_import_command(s3_export: tuple[str, Export], capsys: Any) -> None:
    job, _ = jobs.prepare_import("gpt2-small", "6-res-jb", location=s3_export[0])
    call_command("cancel_import", str(job.pk))
    assert ImportJob.objects.get(pk=job.pk).state == ImportJob.State.CANCELLED
    assert "cancelled" in capsys.readouterr().out
