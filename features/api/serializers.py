"""Request bodies of the features API: validation (400 naming the field) and the OpenAPI schema.

Field names are Neuronpedia's camelCase JSON keys. Response shapes are whole rows built by
`features.rows` / `features.feature_detail`; `features.api.schemas` documents them.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from rest_framework import serializers

from features.search import MAX_OFFSET
from neuronpedia_format.sources import NEURONS_SET
from neuronpedia_site.validation import BoundedList, bounded_many, source_field

DIGITS_RE = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() accepts "²", which int() refuses
MODEL_ID_RE = re.compile(r"^[a-z][a-z0-9.-]*[a-z0-9]$|^[a-z]$")
SOURCE_SET_NAME_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$|^[a-z0-9]$")
MIN_QUERY_LENGTH = 3
MAX_LIST_FEATURES_PER_CALL = 100
MAX_UPLOAD_FEATURES = 128
MAX_UPLOAD_TOKENS = 1024
MAX_UPLOAD_LOGITS = 20
MAX_UPLOAD_INDEX = 10_000_000
MAX_UPLOAD_EXPLANATIONS = 100  # per feature
MAX_UPLOAD_ACTIVATIONS = 1000  # per feature
MAX_INDEX_DIGITS = 32  # a feature index is stored as text; no real one is longer
MAX_NAME = 255
MAX_DESCRIPTION = settings.API_MAX_DESCRIPTION_CHARS


def feature_index(value: object) -> str | None:
    """A feature index (an int, or a string of ASCII digits) as its canonical decimal string,
    or None when it is not one. The length is checked before `int()`, which refuses strings over
    4300 digits with a ValueError."""
    if isinstance(value, bool):
        return None
    text = str(value).strip() if isinstance(value, int | str) else ""
    if not DIGITS_RE.fullmatch(text) or len(text) > MAX_INDEX_DIGITS:
        return None
    return str(int(text))


def _description(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=MAX_DESCRIPTION, **kwargs)


class FeatureIndexField(serializers.CharField):
    """A feature index: a non-negative integer, sent as a number or a decimal string."""

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        index = feature_index(data)
        if index is None:
            raise serializers.ValidationError("Must be a non-negative integer.")
        return index


class FeatureKeySerializer(serializers.Serializer):
    modelId = serializers.CharField(max_length=64)
    layer = serializers.CharField(max_length=255, help_text="The source id, e.g. 6-res-jb.")
    index = FeatureIndexField(max_length=32)


class FeatureBatchItemSerializer(FeatureKeySerializer):
    maxActsToReturn = serializers.IntegerField(
        required=False, min_value=0, max_value=10_000, help_text="Top activations per feature."
    )


class ModelGetSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64)


class NewModelSerializer(serializers.Serializer):
    id = serializers.CharField(
        min_length=2,
        max_length=32,
        help_text="Lowercase letters, digits, '-' and '.'; starts with a letter.",
    )
    layers = serializers.IntegerField(min_value=1, max_value=127)
    displayName = serializers.CharField(
        required=False, allow_null=True, min_length=1, max_length=64
    )
    url = serializers.URLField(required=False, allow_null=True, allow_blank=True)

    def validate_id(self, value: str) -> str:
        if not MODEL_ID_RE.match(value) or "--" in value or ".." in value:
            raise serializers.ValidationError(
                "Use lowercase letters, digits, hyphens and periods; start with a letter, end "
                "with a letter or digit, no double hyphens or periods."
            )
        return value


class NewSourceSetSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    modelId = serializers.CharField(max_length=64)
    description = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=128
    )
    url = serializers.URLField(required=False, allow_null=True, allow_blank=True)

    def validate_name(self, value: str) -> str:
        if not SOURCE_SET_NAME_RE.match(value) or "--" in value:
            raise serializers.ValidationError(
                "Use lowercase letters, digits and hyphens; start with a letter or digit, do "
                "not end with a hyphen, no double hyphens."
            )
        if value == NEURONS_SET:  # MLP-neuron sources (bare integers) belong to this set
            raise serializers.ValidationError('Name cannot be "neurons".')
        return value


class _SearchBase(serializers.Serializer):
    query = serializers.CharField(min_length=MIN_QUERY_LENGTH, max_length=1000)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=MAX_OFFSET, default=0)


class ExplanationSearchSerializer(_SearchBase):
    modelId = serializers.CharField(max_length=64)
    layers = BoundedList(
        child=serializers.CharField(max_length=255),
        max_length=1000,
        help_text="Source ids to search; [] searches every source of the model.",
    )


class ExplanationSearchAllSerializer(_SearchBase):
    pass


class ExplanationSearchModelSerializer(_SearchBase):
    modelId = serializers.CharField(max_length=64)


class ExplanationSearchReleaseSerializer(_SearchBase):
    releaseName = serializers.CharField(max_length=255)


class ListIdSerializer(serializers.Serializer):
    listId = serializers.CharField(max_length=40)


class NewListSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=MAX_NAME)
    description = _description(required=False, allow_blank=True, default="")
    testText = serializers.CharField(required=False, allow_null=True, max_length=10_000)


class ListFeatureSerializer(FeatureKeySerializer):
    description = _description(required=False, allow_blank=True, allow_null=True, default="")


class NewListWithFeaturesSerializer(NewListSerializer):
    description = _description(required=False, allow_blank=True, default="")
    features = bounded_many(
        ListFeatureSerializer(),
        required=False,
        default=list,
        max_length=MAX_LIST_FEATURES_PER_CALL * 10,
        error_messages={"max_length": "Too many features (at most {max_length})."},
    )


class AddListFeaturesSerializer(ListIdSerializer):
    featuresToAdd = bounded_many(
        ListFeatureSerializer(),
        max_length=MAX_LIST_FEATURES_PER_CALL,
        error_messages={"max_length": "Too many features to add. Max is {max_length} at a time."},
    )


class ListFeatureKeySerializer(ListIdSerializer, FeatureKeySerializer):
    pass


class EditListFeatureSerializer(ListFeatureKeySerializer):
    description = _description(allow_blank=True, allow_null=True)


class UpdateListSerializer(ListIdSerializer):
    name = serializers.CharField(max_length=MAX_NAME)
    description = _description(allow_blank=True, default="", required=False)
    defaultTestText = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=10_000
    )


class ListCommentSerializer(ListIdSerializer):
    text = serializers.CharField(min_length=2, max_length=4096)


class ListCommentDeleteSerializer(serializers.Serializer):
    commentId = serializers.CharField(max_length=40)


class CommentSerializer(FeatureKeySerializer):
    text = serializers.CharField(min_length=5, max_length=1024)


class CommentDeleteSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=40)


class ApiKeyRequestSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["NEURONPEDIA", "OPENAI", "GOOGLE", "ANTHROPIC", "OPENROUTER"]
    )


class LogitSerializer(serializers.Serializer):
    token = serializers.CharField(trim_whitespace=False, allow_blank=True, max_length=MAX_NAME)
    value = serializers.FloatField()


class UploadExplanationSerializer(serializers.Serializer):
    text = serializers.CharField(min_length=1, max_length=512)
    methodName = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=MAX_NAME
    )
    modelName = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=MAX_NAME
    )


class UploadActivationSerializer(serializers.Serializer):
    tokens = BoundedList(
        child=serializers.CharField(trim_whitespace=False, allow_blank=True, max_length=MAX_NAME),
        min_length=1,
        max_length=MAX_UPLOAD_TOKENS,
    )
    values = BoundedList(child=serializers.FloatField(), min_length=1, max_length=MAX_UPLOAD_TOKENS)
    quantileMax = serializers.FloatField(required=False, allow_null=True, max_value=99_999_999)
    quantileMin = serializers.FloatField(required=False, allow_null=True, max_value=99_999_999)
    quantileFraction = serializers.FloatField(
        required=False, allow_null=True, min_value=0, max_value=1
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if len(attrs["tokens"]) != len(attrs["values"]):
            raise serializers.ValidationError(
                {"values": "Must have one value per token (tokens and values differ in length)."}
            )
        return attrs


class UploadFeatureSerializer(serializers.Serializer):
    index = serializers.IntegerField(min_value=0, max_value=MAX_UPLOAD_INDEX)
    density = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)
    topLogits = bounded_many(
        LogitSerializer(),
        required=False,
        allow_null=True,
        max_length=MAX_UPLOAD_LOGITS,
        error_messages={"max_length": "At most {max_length} logits."},
    )
    bottomLogits = bounded_many(
        LogitSerializer(),
        required=False,
        allow_null=True,
        max_length=MAX_UPLOAD_LOGITS,
        error_messages={"max_length": "At most {max_length} logits."},
    )
    explanations = bounded_many(
        UploadExplanationSerializer(),
        required=False,
        allow_null=True,
        max_length=MAX_UPLOAD_EXPLANATIONS,
    )
    activations = bounded_many(
        UploadActivationSerializer(), allow_empty=False, max_length=MAX_UPLOAD_ACTIVATIONS
    )


class UploadBatchSerializer(serializers.Serializer):
    modelId = serializers.CharField(max_length=64)
    source = source_field(serializers.CharField(max_length=255))
    features = bounded_many(
        UploadFeatureSerializer(),
        allow_empty=False,
        max_length=MAX_UPLOAD_FEATURES,
        error_messages={"max_length": "At most {max_length} features per call."},
    )

    def validate_modelId(self, value: str) -> str:
        return value.lower()

    def validate_source(self, value: str) -> str:
        return value.lower()

    def validate_features(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        indexes = [f["index"] for f in value]
        if len(set(indexes)) != len(indexes):
            raise serializers.ValidationError("All indexes must be unique.")
        return value


class ExplanationGenerateRequestSerializer(FeatureKeySerializer):
    explanationType = serializers.CharField(
        max_length=255, help_text="oai_token-act-pair, np_max-act-logits, np_max-act, ..."
    )
    explanationModelName = serializers.CharField(
        max_length=255, help_text="An ExplanationModelType name, e.g. gpt-4o-mini."
    )
    useOpenRouter = serializers.BooleanField(required=False, default=False)


class ExplanationScoreRequestSerializer(serializers.Serializer):
    explanationId = serializers.CharField(max_length=40)
    scorerType = serializers.CharField(
        max_length=255, help_text="recall_alt, eleuther_fuzz, eleuther_recall, eleuther_embedding"
    )
    scorerModel = serializers.CharField(
        max_length=255, required=False, allow_null=True, allow_blank=True, default=None
    )


class ApiKeyUpdateSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["OPENAI", "GOOGLE", "ANTHROPIC", "OPENROUTER"])
    value = serializers.CharField(max_length=512, allow_blank=True, trim_whitespace=True)


class UmapSerializer(serializers.Serializer):
    modelId = serializers.CharField(max_length=64)
    layers = BoundedList(
        child=serializers.CharField(max_length=255),
        min_length=1,
        max_length=50,
        help_text="Source ids whose layouts to return.",
    )
