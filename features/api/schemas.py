"""Response shapes for the OpenAPI schema (documentation only: views build rows as dicts).

Each serializer lists the keys clients rely on; responses carry every column of the row, so the
objects stay open (`additionalProperties`) rather than listing each Neuronpedia column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers

from neuronpedia_site.validation import source_field

V1_TAG = "Inference server (/v1)"


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()
    message = serializers.CharField()


class RateLimitedSerializer(ErrorSerializer):
    endpoint = serializers.CharField()
    limitPerWindow = serializers.IntegerField()
    requestWindow = serializers.CharField()
    remainingRequests = serializers.IntegerField()


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class _Row(serializers.Serializer):
    """A database row with Neuronpedia's column names; only some keys are listed."""


class ActivationSerializer(_Row):
    id = serializers.CharField()
    modelId = serializers.CharField()
    layer = serializers.CharField()
    source = source_field(
        serializers.CharField(help_text="Same as layer (the official client reads it).")
    )
    index = serializers.CharField()
    tokens = serializers.ListField(child=serializers.CharField())
    values = serializers.ListField(child=serializers.FloatField())
    maxValue = serializers.FloatField()
    maxValueTokenIndex = serializers.IntegerField()
    minValue = serializers.FloatField()
    binMin = serializers.FloatField(allow_null=True)
    binMax = serializers.FloatField(allow_null=True)
    binContains = serializers.FloatField(allow_null=True)
    creatorId = serializers.CharField()


class UserNameSerializer(serializers.Serializer):
    name = serializers.CharField()


class UserRefSerializer(UserNameSerializer):
    id = serializers.CharField()


class ExplanationScoreSerializer(_Row):
    id = serializers.CharField()
    value = serializers.FloatField()
    explanationScoreTypeName = serializers.CharField()
    explanationScoreModelName = serializers.CharField()


class FeatureExplanationSerializer(_Row):
    id = serializers.CharField()
    modelId = serializers.CharField()
    layer = serializers.CharField()
    source = source_field(serializers.CharField())
    index = serializers.CharField()
    description = serializers.CharField()
    explanationModelName = serializers.CharField(allow_null=True)
    typeName = serializers.CharField(allow_null=True)
    scores = ExplanationScoreSerializer(many=True)
    triggeredByUser = UserRefSerializer(allow_null=True)


class ModelRowSerializer(_Row):
    id = serializers.CharField()
    displayName = serializers.CharField()
    displayNameShort = serializers.CharField()
    layers = serializers.IntegerField()
    visibility = serializers.CharField()
    website = serializers.CharField(allow_null=True)


class SourceSerializer(_Row):
    id = serializers.CharField()
    modelId = serializers.CharField()
    setName = serializers.CharField()
    visibility = serializers.CharField()


class SourceSetSerializer(_Row):
    name = serializers.CharField()
    modelId = serializers.CharField()
    description = serializers.CharField()
    urls = serializers.ListField(child=serializers.CharField())
    visibility = serializers.CharField()


class SourceSetDetailSerializer(SourceSetSerializer):
    sources = SourceSerializer(many=True)
    model = ModelRowSerializer()


class ModelDetailSerializer(ModelRowSerializer):
    sourceSets = SourceSetDetailSerializer(many=True)


class FeatureSerializer(_Row):
    modelId = serializers.CharField()
    layer = serializers.CharField(help_text="The source id, e.g. 6-res-jb.")
    index = serializers.CharField()
    maxActApprox = serializers.FloatField(allow_null=True)
    frac_nonzero = serializers.FloatField()
    pos_str = serializers.ListField(child=serializers.CharField())
    pos_values = serializers.ListField(child=serializers.FloatField())
    neg_str = serializers.ListField(child=serializers.CharField())
    neg_values = serializers.ListField(child=serializers.FloatField())
    hasVector = serializers.BooleanField()
    explanations = FeatureExplanationSerializer(many=True)
    activations = ActivationSerializer(many=True)


class FeatureDetailSerializer(FeatureSerializer):
    model = ModelRowSerializer()
    source = source_field(SourceSerializer())
    sourceSet = SourceSetSerializer()
    creator = UserNameSerializer(allow_null=True)
    lists = serializers.ListField(child=serializers.DictField())
    comments = serializers.ListField(child=serializers.DictField())


class SearchResultSerializer(serializers.Serializer):
    modelId = serializers.CharField()
    layer = serializers.CharField()
    index = serializers.CharField()
    description = serializers.CharField()
    explanationModelName = serializers.CharField(allow_null=True)
    typeName = serializers.CharField(allow_null=True)
    cosine_similarity = serializers.FloatField(help_text="The backend's score; higher is better.")
    neuron = FeatureSerializer(allow_null=True)


class SearchResponseSerializer(serializers.Serializer):
    request = serializers.DictField()
    results = SearchResultSerializer(many=True)
    resultsCount = serializers.IntegerField()
    hasMore = serializers.BooleanField()
    nextOffset = serializers.IntegerField(required=False, help_text="Only when hasMore.")
    searchMethod = serializers.ChoiceField(
        choices=["hybrid", "fulltext"],
        help_text="hybrid: words and meaning fused; fulltext: words only (see notice).",
    )
    notice = serializers.CharField(
        required=False, help_text="What the search left out and why (e.g. no embedding worker)."
    )


class ExplanationDetailSerializer(_Row):
    id = serializers.CharField()
    description = serializers.CharField()
    author = UserNameSerializer()
    neuron = serializers.DictField()
    scores = ExplanationScoreSerializer(many=True)
    model = ModelRowSerializer()
    votes = serializers.ListField(child=serializers.DictField())


class VoteSerializer(_Row):
    id = serializers.CharField()
    voterId = serializers.CharField()
    explanationId = serializers.CharField()
    points = serializers.IntegerField()


class ListRowSerializer(_Row):
    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    defaultTestText = serializers.CharField(allow_null=True)
    userId = serializers.CharField()


class ListSummarySerializer(ListRowSerializer):
    user = UserNameSerializer()
    url = serializers.CharField()


class ListItemSerializer(_Row):
    modelId = serializers.CharField()
    layer = serializers.CharField()
    index = serializers.CharField()
    listId = serializers.CharField()
    description = serializers.CharField(allow_null=True)


class ListItemWithFeatureSerializer(ListItemSerializer):
    neuron = FeatureSerializer()


class ListDetailSerializer(ListSummarySerializer):
    neurons = ListItemWithFeatureSerializer(many=True)
    activations = serializers.ListField(child=serializers.DictField())
    comments = serializers.ListField(child=serializers.DictField())


class ListCommentRowSerializer(_Row):
    id = serializers.CharField()
    listId = serializers.CharField()
    text = serializers.CharField()
    userId = serializers.CharField()


class BookmarkSerializer(_Row):
    id = serializers.CharField()
    modelId = serializers.CharField()
    layer = serializers.CharField()
    index = serializers.CharField()
    userId = serializers.CharField()
    createdAt = serializers.CharField()


class CommentRowSerializer(_Row):
    id = serializers.CharField()
    modelId = serializers.CharField()
    layer = serializers.CharField()
    index = serializers.CharField()
    text = serializers.CharField()
    userId = serializers.CharField()
    user = UserNameSerializer()


class ApiKeySerializer(_Row):
    id = serializers.CharField()
    username = serializers.CharField()
    type = serializers.CharField()
    value = serializers.CharField(help_text="For NEURONPEDIA: the new key (the old one is void).")


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """The error responses of an operation, all `{error, message}` (429 adds its fields)."""
    described = {
        400: "Validation error; the message names the field.",
        401: "Missing or invalid X-Api-Key.",
        403: "Not allowed for this user.",
        404: "Not found, or not visible to this user.",
        503: "No inference worker is running for this model (a late one answers 504).",
    }
    out = {s: OpenApiResponse(ErrorSerializer, description=described[s]) for s in statuses}
    out[429] = OpenApiResponse(RateLimitedSerializer, description="Rate limit exceeded.")
    return out


def open_answer(
    tag: str, request: Any, answer: str, *statuses: int
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`extend_schema` for a view whose answer is a JSON object described in prose (`answer`),
    not field by field: the inference, steering and vector endpoints pass on the worker's
    shapes."""
    return extend_schema(
        tags=[tag],
        request=request,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description=answer),
            **errors(*statuses),
        },
    )
