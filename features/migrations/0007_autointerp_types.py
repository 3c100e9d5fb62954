"""Autointerp: the explainer, scorer and embedding-model config rows a fresh install needs, and
the batch job table."""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from features.autointerp import seed_config_rows


def seed(apps: Any, schema_editor: Any) -> None:
    seed_config_rows(
        apps.get_model("features", "ExplanationType"),
        apps.get_model("features", "ExplanationScoreType"),
        apps.get_model("features", "ExplanationScoreModel"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("features", "0006_admin_names"),
        ("neuronpedia_site", "0002_seed_users"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.CreateModel(
            name="AutointerpJob",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("model_id", models.CharField(max_length=64)),
                ("source_id", models.CharField(blank=True, default="", max_length=255)),
                ("list_id", models.CharField(blank=True, default="", max_length=40)),
                ("explanation_type", models.CharField(max_length=255)),
                ("explanation_model", models.CharField(max_length=255)),
                ("concurrency", models.PositiveIntegerField(default=4)),
                ("requests_per_minute", models.PositiveIntegerField(default=60)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("done", "Done"),
                            ("failed", "Failed"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="queued",
                        max_length=10,
                    ),
                ),
                ("cancel_requested", models.BooleanField(default=False)),
                ("error", models.TextField(blank=True, default="")),
                ("features_total", models.IntegerField(default=0)),
                ("features_done", models.IntegerField(default=0)),
                ("features_skipped", models.IntegerField(default=0)),
                ("features_failed", models.IntegerField(default=0)),
                ("requests", models.IntegerField(default=0)),
                ("prompt_tokens", models.BigIntegerField(default=0)),
                ("completion_tokens", models.BigIntegerField(default=0)),
                ("seconds", models.FloatField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["-id"]},
        ),
    ]
