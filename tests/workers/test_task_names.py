"""Every task name the web side sends (`bus.task_names`) is a task the workers register, under
the name of its module."""

from __future__ import annotations

from bus import task_names


def test_every_name_the_web_sends_is_a_registered_task() -> None:
    import importer.tasks
    import workers.tasks
    from neuronpedia_site.celery import app

    registered = set(app.tasks)
    assert set(task_names.ALL) <= registered
    for name in task_names.ALL:
        module, _, function = name.rpartition(".")
        assert app.tasks[name].run.__module__ == module
        assert app.tasks[name].run.__name__ == function
    assert importer.tasks.import_job.name == task_names.IMPORT_JOB
    assert workers.tasks.ping.name == task_names.PING
