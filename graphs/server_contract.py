"""The graph server's contract (upstream `apps/graph/openapi.json`), answered by this site in
front of its workers: `/v1/graph/generate-graph`, `/forward-pass`, `/steer`,
`/parse-chat-prompt`, `/check-busy`
(the inference app mounts them behind the `/v1` secret). Bodies are the graph server's
snake_case; only models anonymous callers may see are served."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from bus import registry
from bus.task_names import GRAPH_FORWARD_PASS, GRAPH_GENERATE, GRAPH_STEER
from graphs import generation, schema_check
from graphs.serializers import MAX_NAME, MAX_PROMPT_CHARS, GraphChatMessage
from neuronpedia_site.errors import ApiError
from neuronpedia_site.validation import BoundedList

# The graph server's own defaults, which differ from the web route's (spec §4).
SERVER_EDGE_THRESHOLD = 0.98
SERVER_MAX_FEATURE_NODES = 10000


def _prompt_fields() -> dict[str, serializers.Field]:
    return {
        "prompt": serializers.CharField(
            max_length=MAX_PROMPT_CHARS, required=False, allow_null=True, trim_whitespace=False
        ),
        "messages": BoundedList(
            child=GraphChatMessage(), max_length=256, required=False, allow_null=True
        ),
    }


class V1GraphGenerate(serializers.Serializer):
    model_id = serializers.CharField(max_length=MAX_NAME)
    slug_identifier = serializers.RegexField(r"^[a-zA-Z0-9_-]+$", max_length=MAX_NAME)
    prompt = _prompt_fields()["prompt"]
    messages = _prompt_fields()["messages"]
    max_n_logits = serializers.IntegerField(min_value=1, max_value=50, default=10)
    desired_logit_prob = serializers.FloatField(min_value=0.0, max_value=1.0, default=0.95)
    node_threshold = serializers.FloatField(min_value=0.0, max_value=1.0, default=0.8)
    edge_threshold = serializers.FloatField(
        min_value=0.0, max_value=1.0, default=SERVER_EDGE_THRESHOLD
    )
    max_feature_nodes = serializers.IntegerField(
        min_value=1, max_value=100000, default=SERVER_MAX_FEATURE_NODES
    )
    batch_size = serializers.IntegerField(min_value=1, max_value=1024, default=48)
    signed_url = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    compress = serializers.BooleanField(default=False)
    user_id = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class V1GraphForwardPass(serializers.Serializer):
    model_id = serializers.CharField(max_length=MAX_NAME)
    prompt = _prompt_fields()["prompt"]
    messages = _prompt_fields()["messages"]
    max_n_logits = serializers.IntegerField(min_value=1, max_value=50, default=10)
    desired_logit_prob = serializers.FloatField(min_value=0.0, max_value=1.0, default=0.95)


class V1GraphSteerFeature(serializers.Serializer):
    layer = serializers.IntegerField(min_value=0, max_value=1000)
    index = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    token_active_position = serializers.IntegerField(min_value=0, max_value=10000)
    steer_position = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    steer_generated_tokens = serializers.BooleanField(default=False)
    delta = serializers.FloatField(required=False, allow_null=True)
    ablate = serializers.BooleanField(default=False)


class V1GraphSteer(serializers.Serializer):
    model_id = serializers.CharField(max_length=MAX_NAME)
    prompt = _prompt_fields()["prompt"]
    messages = _prompt_fields()["messages"]
    features = BoundedList(child=V1GraphSteerFeature(), max_length=64)
    n_tokens = serializers.IntegerField(min_value=1, max_value=256, default=10)
    top_k = serializers.IntegerField(min_value=0, max_value=20, default=5)
    temperature = serializers.FloatField(min_value=0, max_value=2, default=0)
    freq_penalty = serializers.FloatField(min_value=-2, max_value=2, default=0)
    seed = serializers.IntegerField(required=False, allow_null=True)
    freeze_attention = serializers.BooleanField(default=False)


class V1GraphParseChatPrompt(serializers.Serializer):
    model_id = serializers.CharField(max_length=MAX_NAME)
    prompt = serializers.CharField(min_length=1, max_length=MAX_PROMPT_CHARS, trim_whitespace=False)


def _require_prompt(data: dict[str, Any]) -> None:
    if not data.get("prompt") and not data.get("messages"):
        raise ApiError("Provide either `prompt` or `messages`.")


def generate_graph(data: dict[str, Any]) -> dict[str, Any]:
    """The graph JSON itself (`signed_url` is refused: this site does not PUT to URLs it is
    given; upload with /api/graph/signed-put instead)."""
    _require_prompt(data)
    if data.get("signed_url"):
        raise ApiError("signed_url is not supported here: the graph JSON is the answer.")
    live = generation.graph_model(data["model_id"], None)
    graph: dict[str, Any] = live.call(
        GRAPH_GENERATE,
        prompt=data.get("prompt") or None,
        messages=data.get("messages") or None,
        slug=data["slug_identifier"],
        max_n_logits=data["max_n_logits"],
        desired_logit_prob=data["desired_logit_prob"],
        node_threshold=data["node_threshold"],
        edge_threshold=data["edge_threshold"],
        max_feature_nodes=data["max_feature_nodes"],
        batch_size=data["batch_size"],
    )
    return schema_check.check_graph(graph)


def forward_pass(data: dict[str, Any]) -> dict[str, Any]:
    _require_prompt(data)
    live = generation.graph_model(data["model_id"], None)
    result: dict[str, Any] = live.call(
        GRAPH_FORWARD_PASS,
        prompt=data.get("prompt") or None,
        messages=data.get("messages") or None,
        max_n_logits=data["max_n_logits"],
        desired_logit_prob=data["desired_logit_prob"],
    )
    return result


def steer(data: dict[str, Any]) -> dict[str, Any]:
    _require_prompt(data)
    live = generation.graph_model(data["model_id"], None)
    fields = (
        "features",
        "n_tokens",
        "top_k",
        "temperature",
        "freq_penalty",
        "seed",
        "freeze_attention",
    )
    result: dict[str, Any] = live.call(
        GRAPH_STEER,
        prompt=data.get("prompt") or None,
        messages=data.get("messages") or None,
        **{name: data.get(name) for name in fields},
    )
    return result


def parse_chat_prompt(data: dict[str, Any]) -> dict[str, Any]:
    return generation.parse_chat_prompt(data["model_id"], data["prompt"], None)


def check_busy() -> dict[str, bool]:
    """`{busy}`: true while no live worker can trace graphs (upstream: its one GPU is taken)."""
    return {"busy": not any(w.get("graph_source_set") for w in registry.live_workers())}
