"""Request bodies of the inference endpoints: Neuronpedia's camelCase `/api/...` shapes and the
inference server's snake_case `/v1/...` shapes, each declared once and validated by DRF."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from neuronpedia_site.validation import BoundedList, source_field
from steering.serializers import MAX_VECTOR_LENGTH

MAX_ID = 50  # Neuronpedia caps modelId and source at 50 characters
MAX_NAME = 255  # any other name: a source set, a hook, a /v1 model or source
MAX_PROMPT_CHARS = settings.API_MAX_TEXT_CHARS
MAX_TEXTS = settings.API_MAX_TEXTS
MAX_SOURCES = 1000  # sources named in one search (a model has at most a few hundred)
MAX_INDEX = 2**31 - 1  # token positions and feature indexes: PostgreSQL integer range
MAX_FEATURE_FILTER = 2**17  # feature indexes to keep: the width of a 128k SAE


class TextOrTexts(serializers.Field):
    """A string, or a non-empty list of strings (`customText`, `text`): at most `max_items`
    texts (API_MAX_TEXTS unless given) of at most API_MAX_TEXT_CHARS characters each."""

    default_error_messages = {
        "invalid": "Must be a string or a list of strings.",
        "empty": "Must not be empty.",
        "too_many": "At most {max_items} texts (got {n}).",
        "too_long": "Each text is at most {max_chars} characters.",
    }

    def __init__(self, max_items: int = MAX_TEXTS, **kwargs: Any) -> None:
        self.max_items = max_items
        self.max_chars = MAX_PROMPT_CHARS
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str | list[str]:
        if isinstance(data, list) and len(data) > self.max_items:
            self.fail("too_many", max_items=self.max_items, n=len(data))
        texts = [data] if isinstance(data, str) else data
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            self.fail("invalid")
        if not texts or not all(texts):
            self.fail("empty")
        if any(len(t) > self.max_chars for t in texts):
            self.fail("too_long", max_chars=self.max_chars)
        return data if isinstance(data, str) else list(data)

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_serializer(component_name="InferenceFeatureKey")
class FeatureKey(serializers.Serializer):
    """`{modelId, source | layer, index}` naming one feature (or vector)."""

    modelId = serializers.CharField(max_length=MAX_ID)
    source = source_field(serializers.CharField(max_length=255, required=False))
    layer = serializers.CharField(max_length=255, required=False)
    index = serializers.CharField(max_length=32)

    def validate_index(self, value: str) -> str:
        if not re.fullmatch(r"\d+", value.strip()):
            raise serializers.ValidationError("Must be a non-negative integer.")
        return str(int(value))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        layer = attrs.get("source") or attrs.get("layer")
        if not layer:
            raise serializers.ValidationError("Give the feature's source (or layer).")
        return {"model_id": attrs["modelId"], "layer": layer, "index": attrs["index"]}


class ActivationNewRequest(serializers.Serializer):
    feature = FeatureKey(required=False)
    neuron = FeatureKey(required=False)
    customText = TextOrTexts()
    ignoreBos = serializers.BooleanField(default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        key = attrs.get("feature") or attrs.get("neuron")
        if key is None:
            raise serializers.ValidationError("Give the feature (or neuron) to test.")
        return {"key": key, "text": attrs["customText"], "ignore_bos": attrs["ignoreBos"]}


class ActivationSourceRequest(serializers.Serializer):
    modelId = serializers.CharField(max_length=MAX_ID)
    source = source_field(serializers.CharField(max_length=MAX_ID))
    customText = TextOrTexts(max_items=4)


class SearchAllRequest(serializers.Serializer):
    modelId = serializers.CharField(max_length=MAX_ID)
    sourceSet = serializers.CharField(max_length=255)
    text = TextOrTexts()
    selectedLayers = BoundedList(
        child=serializers.CharField(max_length=255), default=list, max_length=MAX_SOURCES
    )
    sortIndexes = BoundedList(
        child=serializers.IntegerField(min_value=0, max_value=MAX_INDEX),
        default=list,
        max_length=MAX_PROMPT_CHARS,
    )
    ignoreBos = serializers.BooleanField(default=True)
    densityThreshold = serializers.FloatField(default=-1)
    numResults = serializers.IntegerField(min_value=1, max_value=100, default=50)

    def validate_densityThreshold(self, value: float) -> float:  # noqa: N802 (wire name)
        if value != -1 and not 0 < value < 1:
            raise serializers.ValidationError("Must be -1 (off) or between 0 and 1.")
        return value


class TopkByTokenRequest(serializers.Serializer):
    modelId = serializers.CharField(max_length=MAX_ID)
    source = source_field(serializers.CharField(max_length=MAX_ID))
    text = TextOrTexts()
    numResults = serializers.IntegerField(min_value=1, max_value=20, default=10)
    ignoreBos = serializers.BooleanField(default=True)
    densityThreshold = serializers.FloatField(default=0.01)

    def validate_densityThreshold(self, value: float) -> float:  # noqa: N802 (wire name)
        if value != -1 and not 0 <= value <= 1:
            raise serializers.ValidationError("Must be -1 (off) or between 0 and 1.")
        return value


class CossimRequest(serializers.Serializer):
    modelId = serializers.CharField(max_length=MAX_ID)
    source = source_field(serializers.CharField(max_length=255))
    index = serializers.CharField(max_length=32)
    targetModelId = serializers.CharField(max_length=MAX_ID)
    targetSourceId = serializers.CharField(max_length=255)

    def validate_index(self, value: str) -> str:
        if not re.fullmatch(r"\d+", value.strip()):
            raise serializers.ValidationError("Must be a non-negative integer.")
        return str(int(value))


class TokenizeRequest(serializers.Serializer):
    modelId = serializers.CharField(max_length=MAX_ID)
    prompt = serializers.CharField(max_length=MAX_PROMPT_CHARS, trim_whitespace=False)
    prependBos = serializers.BooleanField(default=True)


# -- /v1: the inference server's snake_case bodies ---------------------------------------------


class StrictBool(serializers.BooleanField):
    """JSON true/false only (the inference API's pydantic models are strict)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


def _prompt() -> serializers.CharField:
    return serializers.CharField(
        trim_whitespace=False, allow_blank=False, max_length=MAX_PROMPT_CHARS
    )


def _prompts() -> serializers.ListField:
    return BoundedList(child=_prompt(), allow_empty=False, max_length=MAX_TEXTS)


def _name(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=MAX_NAME, **kwargs)


def _vector() -> serializers.ListField:
    return BoundedList(
        child=serializers.FloatField(),
        required=False,
        allow_null=True,
        default=None,
        max_length=MAX_VECTOR_LENGTH,
    )


class V1Tokenize(serializers.Serializer):
    model = _name()
    text = _prompt()
    prepend_bos = StrictBool(required=False, allow_null=True, default=None)


class V1ActivationSingle(serializers.Serializer):
    prompt: serializers.CharField | None = _prompt()  # the batch drops it (None)
    model = _name()
    source = source_field(_name(required=False, allow_null=True, default=None))
    index = serializers.CharField(required=False, allow_null=True, default=None, max_length=32)
    vector = _vector()
    hook = _name(required=False, allow_null=True, default=None)

    def validate_index(self, value: str | None) -> int | None:
        if value is None:
            return None
        if not re.fullmatch(r"\d+", value.strip()):
            raise serializers.ValidationError("Must be a non-negative integer.")
        return int(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        feature = attrs["source"] is not None and attrs["index"] is not None
        vector = attrs["vector"] is not None and attrs["hook"] is not None
        partial = [k for k in ("source", "index", "vector", "hook") if attrs[k] is not None]
        if feature == vector or len(partial) != 2:
            raise serializers.ValidationError(
                "Invalid request data: give source and index, or vector and hook."
            )
        return attrs


class V1ActivationSingleBatch(V1ActivationSingle):
    prompt = None
    prompts = _prompts()


class V1ActivationAll(serializers.Serializer):
    prompt: serializers.CharField | None = _prompt()  # the batch drops it (None)
    model = _name()
    source_set = _name()
    selected_sources = BoundedList(child=_name(), default=list, max_length=MAX_SOURCES)
    sort_by_token_indexes = BoundedList(
        child=serializers.IntegerField(min_value=0, max_value=MAX_INDEX),
        default=list,
        max_length=MAX_PROMPT_CHARS,
    )
    ignore_bos = StrictBool(default=True)
    feature_filter = BoundedList(
        child=serializers.IntegerField(min_value=0, max_value=MAX_INDEX),
        required=False,
        allow_null=True,
        default=None,
        max_length=MAX_FEATURE_FILTER,
    )
    num_results = serializers.IntegerField(min_value=1, max_value=MAX_FEATURE_FILTER, default=25)


class V1ActivationAllBatch(V1ActivationAll):
    prompt = None
    prompts = _prompts()


class V1TopkByToken(serializers.Serializer):
    prompt: serializers.CharField | None = _prompt()  # the batch drops it (None)
    model = _name()
    source = source_field(_name())
    top_k = serializers.IntegerField(
        min_value=1, max_value=MAX_FEATURE_FILTER, required=False, allow_null=True, default=None
    )
    ignore_bos = StrictBool(default=True)


class V1TopkByTokenBatch(V1TopkByToken):
    prompt = None
    prompts = _prompts()


class V1Source(serializers.Serializer):
    prompts = _prompts()
    model = _name()
    source = source_field(_name())


class V1SaeVector(serializers.Serializer):
    model = _name()
    source = source_field(_name())
    index = serializers.IntegerField(min_value=0, max_value=MAX_INDEX)


class V1Feature(serializers.Serializer):
    model = _name()
    source = source_field(_name())
    index = serializers.IntegerField(min_value=0, max_value=MAX_INDEX)


class V1DecoderCossim(serializers.Serializer):
    feature = V1Feature(required=False, allow_null=True, default=None)
    vector = _vector()
    model = _name()
    source = source_field(_name())
    num_results = serializers.IntegerField(min_value=1, max_value=MAX_FEATURE_FILTER)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs["feature"] is None) == (attrs["vector"] is None):
            raise serializers.ValidationError(
                "Invalid request data: exactly one of feature or vector must be provided."
            )
        return attrs


# -- the autointerp server contract (/v1/explain/default, /v1/score/*) -------------------------

MAX_AUTOINTERP_EXAMPLES = 100
MAX_AUTOINTERP_TOKENS = 1024


class NPActivation(serializers.Serializer):
    tokens = serializers.ListField(
        child=serializers.CharField(trim_whitespace=False, allow_blank=True),
        max_length=MAX_AUTOINTERP_TOKENS,
    )
    values = serializers.ListField(child=serializers.FloatField(), max_length=MAX_AUTOINTERP_TOKENS)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if len(attrs["tokens"]) != len(attrs["values"]):
            raise serializers.ValidationError("tokens and values must have the same length.")
        return attrs


def _examples() -> serializers.ListField:
    return serializers.ListField(
        child=NPActivation(), min_length=1, max_length=MAX_AUTOINTERP_EXAMPLES
    )


class V1ExplainDefault(serializers.Serializer):
    activations = _examples()
    openrouter_key = serializers.CharField(max_length=512)
    model = serializers.CharField(max_length=255, help_text="An OpenRouter model id.")


class V1ScoreFuzzDetection(serializers.Serializer):
    activations = _examples()
    explanation = serializers.CharField(max_length=1024)
    openrouter_key = serializers.CharField(max_length=512)
    model = serializers.CharField(max_length=255, help_text="An OpenRouter model id.")
    type = serializers.ChoiceField(choices=["FUZZ", "DETECTION"])


class V1ScoreEmbedding(serializers.Serializer):
    activations = _examples()
    explanation = serializers.CharField(max_length=1024)
