"""The Celery application: Redis broker, tasks found in each app's `tasks` module."""

from __future__ import annotations

import os

from celery import Celery


def create_application() -> Celery:
    """Build the app from Django settings (`CELERY_*`), discovering `<app>/tasks.py`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuronpedia_site.settings")
    application = Celery("neuronpedia_site")
    application.config_from_object("django.conf:settings", namespace="CELERY")
    application.autodiscover_tasks()
    return application


app = create_application()
