from django.apps import AppConfig


class NeuronpediaSiteConfig(AppConfig):
    name = "neuronpedia_site"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the X-Api-Key scheme with drf-spectacular before any schema is generated.
        from neuronpedia_site import openapi  # noqa: F401
