"""Work that needs the model: generating a graph, the forward pass behind `tokenize`, steering
on a graph's features, and reading a rendered prompt's chat turns with the model's tokenizer.
Each goes to the model's live workers by task name (`bus.routing`, `bus.task_names.GRAPH_*`); a
model without a live worker, or whose workers have no transcoders, is a 503 naming the queue to
start."""

from __future__ import annotations

import re
import time
from typing import Any

from django.conf import settings

from bus import routing
from bus.errors import WorkerError
from bus.task_names import (
    GRAPH_FORWARD_PASS,
    GRAPH_GENERATE,
    GRAPH_PARSE_CHAT_PROMPT,
    GRAPH_STEER,
)
from graphs import catalog, schema_check, storage
from graphs.models import GraphMetadata
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

SLUG_MIN = 2
SLUG_RULE = re.compile(r"^[a-zA-Z0-9_-]+$")


def graph_model(model_id: str, user: User | None) -> routing.LiveModel:
    """The live workers of a model the caller may see, which trace graphs: 404 for an unknown
    or hidden model, 503 naming the queue when none is alive or it has no transcoders."""
    catalog.require_model(model_id, user)
    live = routing.find(model_id, settings.GRAPH_TIMEOUT)
    if live is None:
        queue = routing.queue_for(model_id)
        raise WorkerError(
            f"No worker serves {model_id}: start one on queue {queue} "
            f"(manage.py run_worker --model {model_id}).",
            status=503,
        )
    if not live.graph_source_set:
        raise WorkerError(
            f"No transcoders for model {model_id}: the workers on queue {live.queue} cannot "
            "trace graphs.",
            status=503,
        )
    return live


def slug_for(prompt: str, slug: str | None) -> str:
    """The given slug, or upstream's: the prompt's first 16 letters and the epoch ms."""
    if slug and len(slug.strip()) >= SLUG_MIN:
        return slug.strip()
    text = prompt
    while True:
        stripped = re.sub(r"<[^>]*>|\n", "", text)
        if stripped == text:
            break
        text = stripped
    text = re.sub(r"user|assistant|system", "", text)
    stem = re.sub(r"[^a-zA-Z0-9_-]", "", text)[:16]
    return f"{stem}-{int(time.time() * 1000)}".lower()


def generate(data: dict[str, Any], user: User | None) -> tuple[GraphMetadata, dict[str, Any]]:
    """Trace the prompt on a worker, store the schema-checked graph, record its row."""
    model_id = data["modelId"]
    slug = slug_for(data["prompt"], data.get("slug"))
    if not SLUG_RULE.match(slug):
        raise ApiError(
            "Invalid scan or slug. They must be alphanumeric and contain only underscores and "
            "hyphens."
        )
    live = graph_model(model_id, user)
    if GraphMetadata.objects.filter(model_id=model_id, slug=slug).exists():
        raise ApiError(
            f"The model {model_id} already has a graph with slug/id {slug}. Please choose a "
            "different slug/ID.",
            extra={"error": "Model + Slug/ID Exists"},
        )
    graph = live.call(
        GRAPH_GENERATE,
        prompt=data["prompt"] if not data.get("messages") else None,
        messages=data.get("messages") or None,
        slug=slug,
        max_n_logits=data["maxNLogits"],
        desired_logit_prob=data["desiredLogitProb"],
        node_threshold=data["nodeThreshold"],
        edge_threshold=data["edgeThreshold"],
        max_feature_nodes=data["maxFeatureNodes"],
    )
    try:
        schema_check.check_graph(graph)
    except ApiError as exc:
        raise ApiError(f"Invalid Graph Generated: {exc.detail}", status=502) from exc
    source_set = data.get("sourceSetName") or live.graph_source_set
    key = storage.save_json(storage.new_key(user.id if user else None, slug), graph)
    return catalog.record(graph, key, user, source_set), graph


def forward_pass(data: dict[str, Any], user: User | None) -> dict[str, Any]:
    """The graph server's forward pass: the prompt's tokens and its salient next tokens."""
    if not data.get("prompt") and not data.get("messages"):
        raise ApiError("Provide either `prompt` or `messages`.")
    live = graph_model(data["modelId"], user)
    result: dict[str, Any] = live.call(
        GRAPH_FORWARD_PASS,
        prompt=data.get("prompt") or None,
        messages=data.get("messages") or None,
        max_n_logits=data["maxNLogits"],
        desired_logit_prob=data["desiredLogitProb"],
    )
    return result


def steer_logits(data: dict[str, Any], user: User | None) -> dict[str, Any]:
    """Generation with and without interventions on graph features (upstream's `/steer`)."""
    live = graph_model(data["modelId"], user)
    result: dict[str, Any] = live.call(
        GRAPH_STEER,
        prompt=data["prompt"],
        messages=None,
        features=[dict(f) for f in data["features"]],
        n_tokens=data["nTokens"],
        top_k=data["topK"],
        temperature=data["temperature"],
        freq_penalty=data["freqPenalty"],
        seed=data["seed"],
        freeze_attention=data["freezeAttention"],
    )
    return result


def parse_chat_prompt(model_id: str, prompt: str, user: User | None) -> dict[str, Any]:
    """The chat turns behind a rendered graph prompt, by the model's own chat template (upstream's
    `/parse-chat-prompt`): `{messages (null for plain text), is_chat, prompt (without a leading
    special token), unsteerable_positions}`."""
    live = graph_model(model_id, user)
    result: dict[str, Any] = live.call(GRAPH_PARSE_CHAT_PROMPT, prompt=prompt)
    return result
