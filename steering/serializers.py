"""Request shapes of the vector, steering and /v1 steering endpoints, with Neuronpedia's limits.

Numbers are strict: JSON numbers only (ints included, booleans and strings refused) and finite,
so a vector is stored exactly as it was sent.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from bus.steering import STEER_METHODS
from features.api.serializers import MAX_UPLOAD_TOKENS, feature_index
from neuronpedia_site.validation import BoundedList, source_field

HOOK_TYPES = ("hook_resid_pre", "hook_resid_post")
MAX_VECTOR_LENGTH = 24576
MAX_STRENGTH = 300
MAX_PROMPT_CHARS = 2048
MAX_STEER_TOKENS = 256
MAX_STEER_TOKENS_THINKING = 768
MAX_FEATURES = 64
MAX_UPLOAD_ACTIVATIONS = 1000
MAX_CHAT_MESSAGES = 256  # messages in one conversation (their text is capped apart)
MAX_V1_PROMPT_CHARS = settings.API_MAX_TEXT_CHARS  # /v1 takes a longer prompt than /api/steer
MAX_NAME = 255  # a /v1 model, source or hook name
MAX_INDEX = 2**31 - 1  # a feature index: PostgreSQL integer range
CHAT_ROLES = ("user", "assistant", "system", "model", "developer")
UNSUPPORTED_METHOD = "PROJECTION_CAP"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class StrictFloat(serializers.Field):
    """A JSON number (int or float, never a string or boolean), finite, optionally bounded."""

    default_error_messages = {
        "invalid": "Must be a number.",
        "finite": "Must be a finite number.",
        "min": "Must be at least {limit}.",
        "max": "Must be at most {limit}.",
    }

    def __init__(
        self, min_value: float | None = None, max_value: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.min_value = min_value
        self.max_value = max_value

    def to_internal_value(self, data: Any) -> float:
        if not _is_number(data):
            self.fail("invalid")
        value = float(data)
        if not math.isfinite(value):
            self.fail("finite")
        if self.min_value is not None and value < self.min_value:
            self.fail("min", limit=self.min_value)
        if self.max_value is not None and value > self.max_value:
            self.fail("max", limit=self.max_value)
        return value

    def to_representation(self, value: Any) -> Any:
        return value


class NumberList(serializers.Field):
    """A list of finite JSON numbers, checked in one pass (vectors run to 24,576 values)."""

    default_error_messages = {
        "not_a_list": "Must be a list of numbers.",
        "empty": "Must not be empty.",
        "too_long": "Must have at most {limit} values, got {n}.",
        "invalid": "Item {i} is not a number.",
        "finite": "Item {i} is not a finite number.",
    }

    def __init__(self, max_length: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length

    def to_internal_value(self, data: Any) -> list[float]:
        if not isinstance(data, list):
            self.fail("not_a_list")
        if not data:
            self.fail("empty")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("too_long", limit=self.max_length, n=len(data))
        values = []
        for i, item in enumerate(data):
            if not _is_number(item):
                self.fail("invalid", i=i)
            value = float(item)
            if not math.isfinite(value):
                self.fail("finite", i=i)
            values.append(value)
        return values

    def to_representation(self, value: Any) -> Any:
        return value


class FeatureIndex(serializers.Field):
    """A feature index sent as an integer or a decimal string (the client echoes vector indexes
    as the strings it received); stored, like Neuronpedia's, as a decimal string."""

    default_error_messages = {"invalid": "Must be a non-negative integer."}

    def to_internal_value(self, data: Any) -> str:
        index = feature_index(data)
        if index is None:
            self.fail("invalid")
        return str(index)

    def to_representation(self, value: Any) -> Any:
        return value


class SteerMethod(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=STEER_METHODS, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if data == UNSUPPORTED_METHOD:
            raise serializers.ValidationError(
                f"{UNSUPPORTED_METHOD} is not supported by this server; use "
                f"{' or '.join(STEER_METHODS)}."
            )
        return str(super().to_internal_value(data))


# -- vectors -----------------------------------------------------------------------------------


class VectorNew(serializers.Serializer):
    modelId = serializers.CharField(max_length=64)
    layerNumber = serializers.IntegerField(min_value=0)
    hookType = serializers.ChoiceField(choices=HOOK_TYPES)
    vector = NumberList(max_length=MAX_VECTOR_LENGTH)
    vectorDefaultSteerStrength = StrictFloat(min_value=-MAX_STRENGTH, max_value=MAX_STRENGTH)
    vectorLabel = serializers.CharField(max_length=1000)


@extend_schema_serializer(component_name="VectorKey")
class FeatureKey(serializers.Serializer):
    modelId = serializers.CharField(max_length=64)
    source = source_field(serializers.CharField(max_length=255))
    index = FeatureIndex()


class UploadedActivation(serializers.Serializer):
    tokens = BoundedList(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        min_length=1,
        max_length=MAX_UPLOAD_TOKENS,
    )
    values = NumberList(max_length=MAX_UPLOAD_TOKENS)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if len(attrs["tokens"]) != len(attrs["values"]):
            raise serializers.ValidationError("tokens and values must have the same length.")
        return attrs


@extend_schema_serializer(component_name="ActivationUploadBatch")  # not VectorKey
class ActivationUploadBatch(FeatureKey):
    activations = BoundedList(
        child=UploadedActivation(), min_length=1, max_length=MAX_UPLOAD_ACTIVATIONS
    )


# -- /api/steer and /api/steer-chat --------------------------------------------------------------


class SteerFeatureItem(serializers.Serializer):
    modelId = serializers.CharField(max_length=64, required=False)
    layer = serializers.CharField(max_length=255, required=False)
    # accepted for `layer`
    source = source_field(serializers.CharField(max_length=255, required=False))
    index = FeatureIndex()
    strength = StrictFloat(min_value=-MAX_STRENGTH)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        layer = attrs.get("layer") or attrs.pop("source", None)
        if not layer:
            raise serializers.ValidationError({"layer": "This field is required."})
        attrs["layer"] = layer
        return attrs


class SteerOptions(serializers.Serializer):
    modelId = serializers.CharField(max_length=64)
    features = BoundedList(
        child=SteerFeatureItem(), required=False, default=list, max_length=MAX_FEATURES
    )
    temperature = StrictFloat(min_value=0, max_value=2, required=False, default=0.5)
    n_tokens = serializers.IntegerField(min_value=1, required=False, default=32)
    freq_penalty = StrictFloat(min_value=-2, max_value=2, required=False, default=1.0)
    seed = StrictFloat(min_value=-1e8, max_value=1e8, required=False, default=16.0)
    strength_multiplier = StrictFloat(min_value=0, max_value=10, required=False, default=1.0)
    steer_method = SteerMethod(required=False, default=STEER_METHODS[0])
    normalize_steering = serializers.BooleanField(required=False, default=False)
    stream = serializers.BooleanField(required=False, default=False)


class SteerCompletion(SteerOptions):
    prompt = serializers.CharField(max_length=MAX_PROMPT_CHARS, trim_whitespace=False)


class ChatMessage(serializers.Serializer):
    role = serializers.ChoiceField(choices=CHAT_ROLES)
    content = serializers.CharField(allow_blank=True, trim_whitespace=False)


def _chat_messages() -> serializers.ListField:
    return BoundedList(child=ChatMessage(), min_length=1, max_length=MAX_CHAT_MESSAGES)


class SteerChat(SteerOptions):
    defaultChatMessages = _chat_messages()
    steeredChatMessages = _chat_messages()
    steer_special_tokens = serializers.BooleanField()
    isAssistantAxis = serializers.BooleanField(required=False, default=False)

    def validate_isAssistantAxis(self, value: bool) -> bool:  # noqa: N802 (wire name)
        if value:
            raise serializers.ValidationError("The assistant axis is not supported by this server.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("defaultChatMessages", "steeredChatMessages"):
            total = sum(len(m["content"]) for m in attrs[name])
            if total > MAX_PROMPT_CHARS:
                raise serializers.ValidationError(
                    {name: f"Messages total {total} characters; the limit is {MAX_PROMPT_CHARS}."}
                )
        return attrs


# -- /v1/steer (the inference server contract) -------------------------------------------------


@extend_schema_serializer(component_name="V1SteerFeature")
class V1Feature(serializers.Serializer):
    model = serializers.CharField(required=False, max_length=MAX_NAME)
    source = source_field(serializers.CharField(max_length=MAX_NAME))
    index = serializers.IntegerField(min_value=0, max_value=MAX_INDEX)
    strength = StrictFloat()
    steering_vector = NumberList(required=False, max_length=MAX_VECTOR_LENGTH)


class V1Vector(serializers.Serializer):
    steering_vector = NumberList(max_length=MAX_VECTOR_LENGTH)
    strength = StrictFloat()
    hook = serializers.CharField(max_length=MAX_NAME)


class V1SteerOptions(serializers.Serializer):
    model = serializers.CharField(max_length=MAX_NAME)
    types = BoundedList(
        child=serializers.ChoiceField(choices=("STEERED", "DEFAULT")), min_length=1, max_length=2
    )
    features = BoundedList(child=V1Feature(), required=False, max_length=MAX_FEATURES)
    vectors = BoundedList(child=V1Vector(), required=False, max_length=MAX_FEATURES)
    n_completion_tokens = serializers.IntegerField(min_value=1, max_value=1024)
    temperature = StrictFloat(min_value=0)
    strength_multiplier = StrictFloat()
    freq_penalty = StrictFloat()
    seed = StrictFloat()
    steer_method = SteerMethod(required=False, default=STEER_METHODS[0])
    normalize_steering = serializers.BooleanField(required=False, default=False)
    stream = serializers.BooleanField(required=False, default=False)
    n_logprobs = serializers.IntegerField(min_value=0, max_value=10, required=False, default=0)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("features") and attrs.get("vectors"):
            raise serializers.ValidationError("Send features or vectors, not both.")
        if len(set(attrs["types"])) != len(attrs["types"]):
            raise serializers.ValidationError({"types": "Each type may be listed once."})
        return attrs


class V1SteerCompletion(V1SteerOptions):
    prompt = serializers.CharField(trim_whitespace=False, max_length=MAX_V1_PROMPT_CHARS)


class V1SteerCompletionChat(V1SteerOptions):
    prompt = BoundedList(
        child=serializers.DictField(
            child=serializers.CharField(
                allow_blank=True, trim_whitespace=False, max_length=MAX_V1_PROMPT_CHARS
            )
        ),
        min_length=1,
        max_length=MAX_CHAT_MESSAGES,
    )
    steer_special_tokens = serializers.BooleanField(required=False, default=True)
    is_assistant_axis = serializers.BooleanField(required=False, default=False)

    def validate_prompt(self, value: list[dict[str, str]]) -> list[dict[str, str]]:
        for message in value:
            if "role" not in message or "content" not in message:
                raise serializers.ValidationError("Each message needs a role and content.")
        return [{"role": m["role"], "content": m["content"]} for m in value]

    def validate_is_assistant_axis(self, value: bool) -> bool:
        if value:
            raise serializers.ValidationError("The assistant axis is not supported by this server.")
        return value
