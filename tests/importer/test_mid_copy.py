"""Cancel and SIGKILL while a file is being copied in, on the production path: the export
comes over http(s) slowly (a throttled server on 127.0.0.1), so a file's COPY lasts seconds and
the job notices a cancel from its progress tick, in the middle of the file."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from features.models import Activation, Explanation, Feature
from importer import jobs, status
from importer.models import ImportFile, ImportJob
from tests.support.exportgen import Export, write_export
from tests.support.importer import SENT, serve_slowly

pytestmark = pytest.mark.django_db(transaction=True)
FAST_REDELIVERY = {"CELERY_VISIBILITY_TIMEOUT": "3", "CELERY_RESTORE_INTERVAL": "1"}


@pytest.fixture
def slow_export(tmp_path: Path) -> Iterator[tuple[str, Export, Path]]:
    # One activations file of 8,000 rows, many of the importer's compressed reads
    # (loader.READ_BYTES): seconds at BYTES_PER_SECOND, with a progress tick after each read.
    root = tmp_path / "export"
    export = write_export(root, features=8, batch_size=8, activations_per_feature=1000, tokens=64)
    with serve_slowly(root) as url:
        yield url, export, root


@pytest.fixture(autouse=True)
def _seed_users() -> Iterator[None]:
    from neuronpedia_site.accounts import seed_users

    seed_users()  # flushed by earlier transactional tests
    yield


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _inside_the_activations_file(job: ImportJob) -> bool:
    """The live progress names the activations file and has rows of it in flight."""
    live = status.job_status(ImportJob.objects.get(pk=job.pk))
    return "activations/" in live["currentFile"] and live["rowsDone"] > sum(
        job.files.filter(state=ImportFile.State.DONE).values_list("rows", flat=True)
    )


def _activations_file(job: ImportJob) -> ImportFile:
    return job.files.get(table="Activation")


def _start(location: str, env: dict[str, str], start_worker: Callable[..., Any]) -> ImportJob:
    job, run = jobs.prepare_import("gpt2-small", "6-res-jb", location=location)
    assert run
    jobs.enqueue(job)
    return job


def test_a_cancel_is_noticed_in_the_middle_of_a_file(
    start_worker: Callable[..., Any],
    slow_export: tuple[str, Export, Path],
    worker_env: dict[str, str],
    admin_account: Any,
) -> None:
    location, _, root = slow_export
    worker = start_worker(env=worker_env)
    job = _start(location, worker_env, start_worker)
    _wait(lambda: _inside_the_activations_file(job), 60, f"the COPY\n{worker.log.read_text()}")
    response = admin_account.client().post(f"/api/admin/importer/jobs/{job.pk}/cancel")
    assert response.status_code == 200 and response.json()["cancelRequested"] is True
    _wait(lambda: ImportJob.objects.get(pk=job.pk).state == "cancelled", 10, "the cancel")
    assert ImportJob.objects.get(pk=job.pk).finished_at is not None
    file = _activations_file(job)
    # The server had not even sent the whole file when the job was cancelled: the cancel was
    # noticed inside the COPY, not after it.
    assert 0 < SENT["/" + file.path] < (root / file.path).stat().st_size
    assert file.state == ImportFile.State.PENDING
    assert Activation.objects.count() == 0  # the file's transaction rolled back
    assert Feature.objects.count() == 8  # the files before it stay

    # Importing again resumes the cancelled job at that file.
    resumed, run = jobs.prepare_import("gpt2-small", "6-res-jb", location=location)
    assert run and resumed.pk == job.pk and not resumed.cancel_requested


def test_a_worker_killed_during_a_copy_leaves_no_rows_and_the_job_resumes(
    start_worker: Callable[..., Any],
    slow_export: tuple[str, Export, Path],
    worker_env: dict[str, str],
) -> None:
    location, export, _ = slow_export
    env = {**FAST_REDELIVERY, **worker_env}
    doomed = start_worker(env=env)
    job = _start(location, env, start_worker)
    _wait(lambda: _inside_the_activations_file(job), 60, f"the COPY\n{doomed.log.read_text()}")
    doomed.kill()
    _wait(lambda: not jobs.job_alive(job.pk), 10, "the killed worker's lock to go")
    job.refresh_from_db()
    assert job.state == ImportJob.State.RUNNING  # nobody could mark it: it is interrupted
    assert Activation.objects.count() == 0
    assert _activations_file(job).state != ImportFile.State.DONE
    done_at_kill = dict(job.files.filter(state="done").values_list("path", "finished_at"))
    assert done_at_kill  # the small files before it

    start_worker(env=env)  # the task comes back to this one and picks up where it stopped
    _wait(lambda: ImportJob.objects.get(pk=job.pk).state == "done", 120, "the resumed job")
    job.refresh_from_db()
    rows = export.rows["6-res-jb"]
    assert Activation.objects.count() == len(rows["Activation"])
    assert set(Activation.objects.values_list("id", flat=True)) == {
        r["id"] for r in rows["Activation"]
    }
    assert Feature.objects.count() == len(rows["Neuron"])
    assert Explanation.objects.count() == len(rows["Explanation"])
    assert job.attempts == 2
    for path, finished_at in done_at_kill.items():  # not loaded again
        assert job.files.get(path=path).finished_at == finished_at
    assert job.report["complete"] is True
