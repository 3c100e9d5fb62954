"""Activations of one feature (or vector) on the user's own text, and of a whole source
(`/api/activation/new`, `/api/activation/source`)."""

from __future__ import annotations

import datetime
from typing import Any

from bus import task_names
from features.models import Feature
from inference import hosts as inference_hosts
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import INFERENCE_ACTIVATION_USER_ID, User

DATA_SOURCE = "Neuronpedia"


def new_activations(
    key: dict[str, str], text: str | list[str], ignore_bos: bool, user: User | None
) -> dict[str, Any] | list[dict[str, Any]]:
    """Activation-like objects of one feature on `text` (one object, or a list for a list).

    A vector (`Feature.has_vector`) is tested as the raw dot product of its hook's activations
    with the vector; an SAE feature through its source, which the worker must serve. With
    `ignore_bos` a leading special token is dropped and max, min and argmax recomputed.
    """
    model_id, layer, index = key["model_id"], key["layer"], key["index"]
    feature = Feature.objects.filter(model_id=model_id, layer=layer, index=index).first()
    vector = feature if feature is not None and feature.has_vector else None
    # A vector is tested as itself: its layer names no source to check.
    inference_hosts.check_visible(model_id, [] if vector is not None else [layer], user)
    live = inference_hosts.require(model_id)
    prompts = [text] if isinstance(text, str) else text
    if vector is not None:
        if not vector.hook_name or not vector.vector:
            raise ApiError("This vector has no hook or values to test.", status=400)
        answer = live.call(
            task_names.ACTIVATION_SINGLE,
            prompts=prompts,
            vector=vector.vector,
            hook=vector.hook_name,
        )
    else:
        live.require_source(layer)
        answer = live.call(
            task_names.ACTIVATION_SINGLE, prompts=prompts, source=layer, index=int(index)
        )
    creator_id = user.id if user is not None else INFERENCE_ACTIVATION_USER_ID
    created_at = datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")
    objects = [
        _activation_like(result, model_id, layer, index, creator_id, created_at, ignore_bos)
        for result in answer["results"]
    ]
    return objects[0] if isinstance(text, str) else objects


def _activation_like(
    result: dict[str, Any],
    model_id: str,
    layer: str,
    index: str,
    creator_id: str,
    created_at: str,
    ignore_bos: bool,
) -> dict[str, Any]:
    tokens = list(result["tokens"])
    values = list(result["activation"]["values"])
    special = result.get("tokens_is_special") or [False] * len(tokens)
    if ignore_bos and tokens and special[0]:
        tokens, values = tokens[1:], values[1:]
    top = max(range(len(values)), key=values.__getitem__) if values else 0
    return {
        "tokens": tokens,
        "values": values,
        "maxValue": values[top] if values else 0.0,
        "minValue": min(values, default=0.0),
        "maxValueTokenIndex": top,
        "modelId": model_id,
        "layer": layer,
        "index": index,
        "creatorId": creator_id,
        "dataIndex": None,
        "dataSource": DATA_SOURCE,
        "createdAt": created_at,
    }


def source_activations(
    model_id: str, source: str, text: str | list[str], user: User | None
) -> dict[str, Any]:
    """`{results: [{tokens, activeFeatures: {"index": [[token, value], ...]}}]}`, the worker's
    answer passed through."""
    inference_hosts.check_visible(model_id, [source], user)
    live = inference_hosts.require(model_id)
    live.require_source(source)
    prompts = [text] if isinstance(text, str) else text
    return live.call(task_names.SOURCE_ACTIVATIONS, prompts=prompts, source=source)
