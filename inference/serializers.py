"""Request bodies of the inference endpoints: Neuronpedia's camelCase `/api/...` shapes and the
inference server's snake_case `/v1/...` shapes, each declared once and validated by DRF."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from neuronpedia_site.validation import source_field

MAX_ID = 50  # Neuronpedia caps modelId and source at 50 characters
MAX_PROMPT_CHARS = 10_000


class TextOrTexts(serializers.Field):
    """A string, or a non-empty list of strings (`customText`, `text`)."""

    default_error_messages = {
        "invalid": "Must be a string or a list of strings.",
        "empty": "Must not be empty.",
        "too_many": "At most {max_items} texts.",
    }

    def __init__(self, max_items: int | None = None, **kwargs: Any) -> None:
        self.max_items = max_items
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str | list[str]:
        if isinstance(data, str):
            if not data:
                self.fail("empty")
            return data
        if not isinstance(data, list) or not all(isinstance(t, str) for t in data):
            self.fail("invalid")
        if not data:
            self.fail("empty")
        if self.max_items is not None and len(data) > self.max_items:
            self.fail("too_many", max_items=self.max_items)
        return list(data)

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
    selectedLayers = serializers.ListField(
        child=serializers.CharField(max_length=255), default=list
    )
    sortIndexes = serializers.ListField(child=serializers.IntegerField(min_value=0), default=list)
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
    return serializers.CharField(trim_whitespace=False, allow_blank=False)


def _prompts() -> serializers.ListField:
    return serializers.ListField(child=_prompt(), allow_empty=False)


class V1Tokenize(serializers.Serializer):
    model = serializers.CharField()
    text = _prompt()
    prepend_bos = StrictBool(required=False, allow_null=True, default=None)


class V1ActivationSingle(serializers.Serializer):
    prompt: serializers.CharField | None = _prompt()  # the batch drops it (None)
    model = serializers.CharField()
    source = source_field(serializers.CharField(required=False, allow_null=True, default=None))
    index = serializers.CharField(required=False, allow_null=True, default=None)
    vector = serializers.ListField(
        child=serializers.FloatField(), required=False, allow_null=True, default=None
    )
    hook = serializers.CharField(required=False, allow_null=True, default=None)

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
    model = serializers.CharField()
    source_set = serializers.CharField()
    selected_sources = serializers.ListField(child=serializers.CharField(), default=list)
    sort_by_token_indexes = serializers.ListField(
        child=serializers.IntegerField(min_value=0), default=list
    )
    ignore_bos = StrictBool(default=True)
    feature_filter = serializers.ListField(
        child=serializers.IntegerField(min_value=0), required=False, allow_null=True, default=None
    )
    num_results = serializers.IntegerField(min_value=1, default=25)


class V1ActivationAllBatch(V1ActivationAll):
    prompt = None
    prompts = _prompts()


class V1TopkByToken(serializers.Serializer):
    prompt: serializers.CharField | None = _prompt()  # the batch drops it (None)
    model = serializers.CharField()
    source = source_field(serializers.CharField())
    top_k = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    ignore_bos = StrictBool(default=True)


class V1TopkByTokenBatch(V1TopkByToken):
    prompt = None
    prompts = _prompts()


class V1Source(serializers.Serializer):
    prompts = _prompts()
    model = serializers.CharField()
    source = source_field(serializers.CharField())


class V1SaeVector(serializers.Serializer):
    model = serializers.CharField()
    source = source_field(serializers.CharField())
    index = serializers.IntegerField(min_value=0)


class V1Feature(serializers.Serializer):
    model = serializers.CharField()
    source = source_field(serializers.CharField())
    index = serializers.IntegerField(min_value=0)


class V1DecoderCossim(serializers.Serializer):
    feature = V1Feature(required=False, allow_null=True, default=None)
    vector = serializers.ListField(
        child=serializers.FloatField(), required=False, allow_null=True, default=None
    )
    model = serializers.CharField()
    source = source_field(serializers.CharField())
    num_results = serializers.IntegerField(min_value=1)

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
