"""Request shapes of the importer endpoints: field types and lengths checked by DRF before any
job, location or worker is touched (a wrong type is a 400 naming the field), and documented in
the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

from importer.exports import EXPLANATIONS_CHOICES
from importer.models import ImportJob

MAX_LOCATION_CHARS = 2048
MAX_BATCH_START = 2**31 - 1  # ImportJob.explanation_batch_start is an integer column


def _column_length(name: str) -> int:
    field = ImportJob._meta.get_field(name)
    assert isinstance(field, models.CharField) and field.max_length is not None
    return field.max_length


class Location(serializers.Serializer):
    """Where to import from: `from` (IMPORT_FROM when absent) and an S3 `endpointUrl`."""

    endpointUrl = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_LOCATION_CHARS, default=""
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields: dict[str, serializers.Field] = super().get_fields()
        # `from` is a Python keyword, so it cannot be declared as a class attribute.
        fields["from"] = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=MAX_LOCATION_CHARS,
            default="",
            help_text="s3://bucket/prefix, an http(s):// base URL or a directory.",
        )
        return fields


class ImportOptions(serializers.Serializer):
    explanations = serializers.ChoiceField(
        choices=EXPLANATIONS_CHOICES, required=False, default="true"
    )
    explanationBatchStart = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_BATCH_START, default=0
    )


class ImportQuery(ImportOptions):
    """`/api/admin/import`'s query string (its ids are checked by the view, with Neuronpedia's
    message when one is missing)."""

    modelId = serializers.CharField(
        required=False, allow_blank=True, max_length=_column_length("model_id")
    )
    sourceId = serializers.CharField(
        required=False, allow_blank=True, max_length=_column_length("source_id")
    )


class StartImport(Location, ImportOptions):
    modelId = serializers.CharField(max_length=_column_length("model_id"))
    sourceId = serializers.CharField(max_length=_column_length("source_id"))
    resync = serializers.BooleanField(required=False, default=False)


class StartSet(Location):
    modelId = serializers.CharField(max_length=_column_length("model_id"))
    setName = serializers.CharField(max_length=_column_length("source_id"))


class TreeQuery(Location):
    modelId = serializers.CharField(
        required=False, allow_blank=True, max_length=_column_length("model_id"), default=""
    )
    refresh = serializers.BooleanField(required=False, default=False)


class NoFields(serializers.Serializer):
    """A body with nothing to set: empty, or a JSON object (whose keys are ignored)."""


def location_of(data: dict[str, Any]) -> tuple[str, str]:
    return data["from"].strip(), data["endpointUrl"]
