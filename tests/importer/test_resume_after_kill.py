"""An interrupted job is resumed by importing again (a worker SIGKILLed during a COPY:
test_mid_copy.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from features.models import Activation, Feature
from importer import jobs
from importer.models import ImportFile, ImportJob
from tests.support.exportgen import Export

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _seed_users() -> Iterator[None]:
    from neuronpedia_site.accounts import seed_users

    seed_users()  # flushed by earlier transactional tests
    yield


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
