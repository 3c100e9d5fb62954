"""Request shapes of the graph API, with upstream's ranges and defaults
(`apps/webapp/lib/utils/graph.ts`; the official client's defaults fit inside them)."""

from __future__ import annotations

from rest_framework import serializers

from neuronpedia_site.validation import BoundedList

MAX_PROMPT_CHARS = 10000
MAX_CHAT_MESSAGES = 256
MAX_NAME = 255
MAX_STEER_FEATURES = 64
MAX_PINNED = 10000
MAX_UPLOAD_BYTES_FIELD = 100 * 1024 * 1024  # upstream's MAX_GRAPH_UPLOAD_SIZE_BYTES


class GraphChatMessage(serializers.Serializer):
    role = serializers.CharField(max_length=32)
    content = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=MAX_PROMPT_CHARS
    )


def _messages() -> BoundedList:
    return BoundedList(
        child=GraphChatMessage(), max_length=MAX_CHAT_MESSAGES, required=False, allow_null=True
    )


class GraphGenerate(serializers.Serializer):
    prompt = serializers.CharField(min_length=1, max_length=MAX_PROMPT_CHARS, trim_whitespace=False)
    messages = _messages()
    modelId = serializers.CharField(max_length=MAX_NAME)
    sourceSetName = serializers.CharField(
        max_length=MAX_NAME, required=False, allow_null=True, allow_blank=True
    )
    slug = serializers.CharField(max_length=MAX_NAME, required=False, allow_blank=True)
    maxNLogits = serializers.IntegerField(min_value=5, max_value=15, default=10)
    desiredLogitProb = serializers.FloatField(min_value=0.6, max_value=0.99, default=0.95)
    nodeThreshold = serializers.FloatField(min_value=0.5, max_value=0.95, default=0.8)
    edgeThreshold = serializers.FloatField(min_value=0.65, max_value=0.98, default=0.85)
    maxFeatureNodes = serializers.IntegerField(min_value=1500, max_value=10000, default=5000)
    qkTopFraction = serializers.FloatField(min_value=0.05, max_value=0.5, default=0.5)
    qkTopk = serializers.IntegerField(min_value=1, max_value=5, default=5)


class GraphTokenize(serializers.Serializer):
    prompt = serializers.CharField(
        max_length=MAX_PROMPT_CHARS,
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
    )
    messages = _messages()
    modelId = serializers.CharField(max_length=MAX_NAME)
    sourceSetName = serializers.CharField(
        max_length=MAX_NAME, required=False, allow_null=True, allow_blank=True
    )
    maxNLogits = serializers.IntegerField(min_value=5, max_value=15, default=10)
    desiredLogitProb = serializers.FloatField(min_value=0.6, max_value=0.99, default=0.95)


class GraphParseChatPrompt(serializers.Serializer):
    prompt = serializers.CharField(min_length=1, max_length=MAX_PROMPT_CHARS, trim_whitespace=False)
    modelId = serializers.CharField(max_length=MAX_NAME)
    sourceSetName = serializers.CharField(
        max_length=MAX_NAME, required=False, allow_null=True, allow_blank=True
    )


class GraphSignedPut(serializers.Serializer):
    filename = serializers.CharField(max_length=MAX_NAME)
    contentLength = serializers.IntegerField(min_value=1024, max_value=MAX_UPLOAD_BYTES_FIELD)
    contentType = serializers.CharField(max_length=MAX_NAME, required=False, allow_blank=True)


class GraphPutRequestId(serializers.Serializer):
    putRequestId = serializers.CharField(max_length=64)


class GraphKey(serializers.Serializer):
    modelId = serializers.CharField(max_length=MAX_NAME)
    slug = serializers.CharField(max_length=MAX_NAME)


class GraphSubgraphSave(GraphKey):
    displayName = serializers.CharField(
        max_length=MAX_NAME, required=False, allow_blank=True, allow_null=True
    )
    pinnedIds = BoundedList(child=serializers.CharField(max_length=MAX_NAME), max_length=MAX_PINNED)
    supernodes = BoundedList(
        child=BoundedList(child=serializers.CharField(max_length=MAX_NAME), max_length=MAX_PINNED),
        max_length=MAX_PINNED,
    )
    clerps = BoundedList(
        child=BoundedList(child=serializers.CharField(max_length=MAX_PROMPT_CHARS), max_length=2),
        max_length=MAX_PINNED,
    )
    pruningThreshold = serializers.FloatField(allow_null=True)
    densityThreshold = serializers.FloatField(allow_null=True)
    overwriteId = serializers.CharField(max_length=64, required=False)


class GraphSubgraphId(serializers.Serializer):
    subgraphId = serializers.CharField(max_length=64)


class GraphSteerLogitFeature(serializers.Serializer):
    layer = serializers.IntegerField(min_value=0, max_value=1000)
    index = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    token_active_position = serializers.IntegerField(min_value=0, max_value=10000)
    steer_position = serializers.IntegerField(
        min_value=0, max_value=10000, allow_null=True, required=False
    )
    steer_generated_tokens = serializers.BooleanField()
    delta = serializers.FloatField(allow_null=True, required=False)
    ablate = serializers.BooleanField()


class GraphSteerLogits(serializers.Serializer):
    modelId = serializers.CharField(max_length=MAX_NAME)
    sourceSetName = serializers.CharField(
        max_length=MAX_NAME, required=False, allow_null=True, allow_blank=True
    )
    prompt = serializers.CharField(min_length=1, max_length=MAX_PROMPT_CHARS, trim_whitespace=False)
    features = BoundedList(child=GraphSteerLogitFeature(), max_length=MAX_STEER_FEATURES)
    nTokens = serializers.IntegerField(min_value=1, max_value=256, default=256)
    topK = serializers.IntegerField(min_value=0, max_value=10, default=5)
    freezeAttention = serializers.BooleanField(default=True)
    temperature = serializers.FloatField(min_value=0, max_value=2, default=0.5)
    freqPenalty = serializers.FloatField(min_value=-2, max_value=2, default=1.0)
    seed = serializers.IntegerField(allow_null=True, default=16)
