"""`manage.py compute_umap` and the jobs `serve` queues for the demo sources
(`features.umap_jobs.start_missing`): rows and queued messages, no worker needed."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from features import umap_jobs
from features.models import Source, UmapJob
from neuronpedia_site.redis_connection import connection
from tests.support.factories import make_model, make_source

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sources() -> None:
    model = make_model("demo-lm", layers=2, dimension=128)
    make_source(model, "0-res-demo")
    make_source(model, "1-res-demo", has_umap=True)


def _run(*args: str) -> str:
    out = StringIO()
    call_command("compute_umap", *args, stdout=out)
    return out.getvalue()


def test_it_queues_a_job_per_source_on_the_models_queue(sources: None) -> None:
    out = _run("demo-lm")
    jobs = list(UmapJob.objects.order_by("source_id"))
    assert [(j.source_id, j.basis, j.state) for j in jobs] == [
        ("0-res-demo", "decoder", "queued"),
        ("1-res-demo", "decoder", "queued"),
    ]
    assert "on queue inference.demo-lm" in out and "2 UMAP job(s) queued." in out
    assert all(j.task_id for j in jobs)
    assert connection().llen("inference.demo-lm") == 2  # the messages wait for a worker
    _run("demo-lm", "0-res-demo")  # again: the open job, not a second one
    assert UmapJob.objects.count() == 2


def test_explanation_jobs_go_to_default_and_cancel_and_resume_by_id(sources: None) -> None:
    _run("demo-lm", "0-res-demo", "--basis", "explanations")
    job = UmapJob.objects.get()
    assert connection().llen("default") == 1
    assert "cancelled" in _run("--cancel", str(job.pk))
    job.refresh_from_db()
    assert job.state == UmapJob.State.CANCELLED
    _run("--resume", str(job.pk))
    job.refresh_from_db()
    assert job.state == UmapJob.State.QUEUED and connection().llen("default") == 2


def test_it_refuses_unknown_models_sources_and_jobs(sources: None) -> None:
    with pytest.raises(CommandError, match="has no sources"):
        _run("no-such-model")
    with pytest.raises(CommandError, match="no source demo-lm/9-res-x"):
        _run("demo-lm", "9-res-x")
    with pytest.raises(CommandError, match="no UMAP job #42"):
        _run("--cancel", "42")
    with pytest.raises(CommandError, match="Name a model id"):
        _run()


def test_serve_queues_only_the_sources_without_a_layout(sources: None) -> None:
    started = umap_jobs.start_missing("demo-lm")
    assert [j.source_id for j in started] == ["0-res-demo"]
    assert umap_jobs.start_missing("demo-lm")[0].pk == started[0].pk
    Source.objects.filter(source_id="0-res-demo").update(has_umap=True)
    UmapJob.objects.update(state=UmapJob.State.DONE)
    assert umap_jobs.start_missing("demo-lm") == []
