"""When each task is acknowledged: the tasks a web request waits for when they start (their
caller sends them again if their worker dies, bus.client), long jobs when they end (Redis hands
them to another worker if theirs dies)."""

from __future__ import annotations

from bus import task_names


def test_tasks_a_caller_waits_for_are_acknowledged_when_they_start() -> None:
    import importer.tasks  # noqa: F401  (registers the task)
    import workers.tasks  # noqa: F401
    from neuronpedia_site.celery import app

    long_jobs = {
        task_names.IMPORT_JOB,
        task_names.AUTOINTERP_BATCH,
        task_names.EMBED_EXPLANATIONS,
        task_names.UMAP_LAYOUT,
    }
    waited_for = set(task_names.ALL) - long_jobs
    assert waited_for
    for name in waited_for:
        assert app.tasks[name].acks_late is False, name
    for name in long_jobs:  # resumable job rows: redelivered to another worker if theirs dies
        assert app.tasks[name].acks_late is True, name
        assert app.tasks[name].reject_on_worker_lost is True, name
