from django.apps import AppConfig


class NeuronpediaSiteConfig(AppConfig):
    name = "neuronpedia_site"
    default_auto_field = "django.db.models.BigAutoField"
