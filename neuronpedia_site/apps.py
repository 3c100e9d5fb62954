from django.apps import AppConfig


class NeuronpediaSiteConfig(AppConfig):
    name = "neuronpedia_site"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the X-Api-Key scheme with drf-spectacular before any schema is generated.
        # The bus imports no Django app; it is handed the site's Celery app and Redis here, in
        # web and worker processes alike.
        from bus import connections
        from neuronpedia_site import openapi  # noqa: F401
        from neuronpedia_site.celery import app
        from neuronpedia_site.redis_connection import connection

        connections.configure(app, connection)
