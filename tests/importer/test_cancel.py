"""Cancelling: a running job stops within a second and its current file rolls back; a queued
one is cancelled at once; importing again resumes where it stopped."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from features.models import Activation, Explanation, Feature
from importer import jobs
from importer.models import ImportFile, ImportJob
from tests.support.exportgen import Export

BULK = ("Neuron", "Activation", "Explanation")


@pytest.fixture
def _seed_users() -> Iterator[None]:
    from neuronpedia_site.accounts import seed_users

    seed_users()  # flushed by earlier transactional tests
    yield


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_a_running_job_stops_and_rolls_back_its_file(
    _seed_users: None,
    start_worker: Callable[..., Any],
    s3_prefix: Callable[..., tuple[str, Path, Export]],
    worker_env: dict[str, str],
    admin_account: Any,
    use_moto: str,
) -> None:
    location, _, _ = s3_prefix(features=12, batch_size=2)
    start_worker(env={**worker_env, "IMPORT_DEBUG_FILE_DELAY_MS": "500"})
    api = admin_account.client()
    started = api.post(
        "/api/admin/importer/jobs",
        {"modelId": "gpt2-small", "sourceId": "6-res-jb", "from": location},
        format="json",
    )
    assert started.status_code == 202, started.json()
    job = ImportJob.objects.get(pk=started.json()["id"])
    _wait(lambda: job.files.filter(table="Neuron", state="done").count() >= 2, 60, "features")
    response = api.post(f"/api/admin/importer/jobs/{job.pk}/cancel")
    assert response.status_code == 200 and response.json()["cancelRequested"] is True
    _wait(lambda: ImportJob.objects.get(pk=job.pk).state == "cancelled", 10, "the cancel")
    job.refresh_from_db()
    assert job.finished_at is not None
    done = job.files.filter(table__in=BULK, state=ImportFile.State.DONE)
    in_db = Feature.objects.count() + Activation.objects.count() + Explanation.objects.count()
    assert in_db == sum(f.rows for f in done)  # the file it was in rolled back
    assert job.files.filter(state=ImportFile.State.PENDING).exists()

    resumed, run = jobs.prepare_import("gpt2-small", "6-res-jb", location=location)
    assert run and resumed.pk == job.pk and not resumed.cancel_requested
    resumed = jobs.run_job(resumed.pk)
    assert resumed.state == ImportJob.State.DONE, resumed.error
    assert (Feature.objects.count(), Activation.objects.count()) == (12, 36)


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
