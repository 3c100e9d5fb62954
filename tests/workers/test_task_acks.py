"""When each task is acknowledged: the tasks a web request waits for when they start (their
caller sends them again if their worker dies, bus.client), long jobs when they end (Redis hands
them to another worker if theirs dies)."""

from __future__ import annotations

from bus import task_names


def test_tasks_a_caller_waits_for_are_acknowledged_when_they_start() -> None:
    import importer.tasks  # noqa: F401  (registers the task)
    import workers.tasks  # noqa: F401
    from neuronpedia_site.celery import app

    waited_for = set(task_names.ALL) - {task_names.IMPORT_JOB}
    assert waited_for
    for name in waited_for:
        assert app.tasks[name].acks_late is False, name

    import_job = app.tasks[task_names.IMPORT_JOB]
    assert import_job.acks_late is True
    assert import_job.reject_on_worker_lost is True
