from django.apps import AppConfig


class WorkersConfig(AppConfig):
    """The worker runtime. Django loads this app in web processes too (for its commands), so
    nothing here imports the runtime: the lifecycle signal handlers (`workers.signals`) are
    imported by Celery at worker start (CELERY_IMPORTS), and the tasks are found then."""

    name = "workers"
    default_auto_field = "django.db.models.BigAutoField"
