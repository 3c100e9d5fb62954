"""The explainer, scorer and embedding-model config rows autointerp needs on a fresh install."""

from typing import Any

from django.db import migrations

from features.autointerp import seed_config_rows


def seed(apps: Any, schema_editor: Any) -> None:
    seed_config_rows(
        apps.get_model("features", "ExplanationType"),
        apps.get_model("features", "ExplanationScoreType"),
        apps.get_model("features", "ExplanationScoreModel"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("features", "0005_activation_indexes"),
        ("neuronpedia_site", "0002_seed_users"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
