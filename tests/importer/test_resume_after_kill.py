"""A worker SIGKILLed in the middle of an import: the file it was loading leaves nothing
behind, and the job resumes at that file, ending with exactly the rows of the export."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from features.models import Activation, Explanation, Feature
from importer import jobs
from importer.models import ImportFile, ImportJob
from tests.support.exportgen import Export

pytestmark = pytest.mark.django_db(transaction=True)
BULK = ("Neuron", "Activation", "Explanation")
# Redis gives an unacknowledged task back after the visibility timeout; short in tests.
FAST_REDELIVERY = {"CELERY_VISIBILITY_TIMEOUT": "3", "CELERY_RESTORE_INTERVAL": "1"}


@pytest.fixture(autouse=True)
def _seed_users() -> Iterator[None]:
    from neuronpedia_site.accounts import seed_users

    seed_users()  # flushed by earlier transactional tests
    yield


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _rows_in_db() -> int:
    return Feature.objects.count() + Activation.objects.count() + Explanation.objects.count()


def _rows_of_done_files(job: ImportJob) -> int:
    files = job.files.filter(table__in=BULK, state=ImportFile.State.DONE)
    return sum(f.rows for f in files)


def test_a_job_resumes_after_its_worker_is_killed(
    start_worker: Callable[..., Any],
    s3_prefix: Callable[..., tuple[str, Path, Export]],
    worker_env: dict[str, str],
) -> None:
    location, _, export = s3_prefix(features=12, batch_size=2, activations_per_feature=4)
    env = {**FAST_REDELIVERY, **worker_env}
    doomed = start_worker(env={**env, "IMPORT_DEBUG_FILE_DELAY_MS": "250"})
    job, run = jobs.prepare_import("gpt2-small", "6-res-jb", location=location)
    assert run
    jobs.enqueue(job)
    # kill it once a few batches are in, while it holds the next one's transaction open
    _wait(
        lambda: job.files.filter(table__in=BULK, state="done").count() >= 4,
        60,
        f"files to load\n{doomed.log.read_text()[-3000:]}",
    )
    doomed.kill()
    _wait(lambda: not jobs.job_alive(job.pk), 10, "the killed worker's lock to go")
    job.refresh_from_db()
    assert job.state == ImportJob.State.RUNNING  # nobody could mark it: it is interrupted
    done_at_kill = dict(job.files.filter(state="done").values_list("path", "finished_at"))
    assert _rows_in_db() == _rows_of_done_files(job)  # no half file
    assert len(done_at_kill) < job.files_total

    start_worker(env=env)  # the task comes back to this one and picks up where it stopped
    _wait(
        lambda: ImportJob.objects.get(pk=job.pk).state == ImportJob.State.DONE,
        90,
        "the job to finish after redelivery",
    )
    job.refresh_from_db()
    rows = export.rows["6-res-jb"]
    assert Feature.objects.count() == len(rows["Neuron"]) == 12
    assert Activation.objects.count() == len(rows["Activation"]) == 48
    assert set(Activation.objects.values_list("id", flat=True)) == {
        r["id"] for r in rows["Activation"]
    }
    assert Explanation.objects.count() == 12
    assert job.attempts == 2
    for path, finished_at in done_at_kill.items():  # not loaded again
        assert job.files.get(path=path).finished_at == finished_at
    assert job.report["complete"] is True
    assert all(f.inserted == f.rows for f in job.files.filter(table__in=BULK))


def test_an_interrupted_job_is_resumed_by_importing_again(
    s3_prefix: Callable[..., tuple[str, Path, Export]], use_moto: str
) -> None:
    location, _, _ = s3_prefix()
    job, _ = jobs.prepare_import("gpt2-small", "6-res-jb", location=location)
    job = jobs.run_job(job.pk)
    # as if the worker died after 9 files: state running, nobody holding the lock
    later = job.files.filter(order__gte=9)
    Feature.objects.all().delete()
    later.update(state=ImportFile.State.PENDING, rows=None, finished_at=None)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)
    resumed, run = jobs.prepare_import("gpt2-small", "6-res-jb", location=location)
    assert run and resumed.pk == job.pk and resumed.state == ImportJob.State.QUEUED
    resumed = jobs.run_job(resumed.pk)
    assert resumed.state == ImportJob.State.DONE, resumed.error
    assert (Feature.objects.count(), Activation.objects.count()) == (6, 18)
