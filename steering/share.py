"""Saved steering results for `/api/steer-load` and the `/steer/{id}` share page."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q

from bus.steering import DEFAULT, STEERED, SteerSettings
from features.access import visible_sources
from features.models import Explanation, Feature, Model
from features.rows import row_dict
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User
from steering import cache
from steering.models import SteerOutput
from steering.plan import SteerPlan
from steering.steer import response_body

NOT_FOUND = "Steer output not found"


def _pair(row: SteerOutput) -> dict[str, SteerOutput]:
    """The STEERED row and its DEFAULT row, whichever of the two `row` is."""
    if row.type == STEERED:
        pair = {STEERED: row}
        if row.connected_default_output is not None:
            pair[DEFAULT] = row.connected_default_output
        return pair
    pair = {DEFAULT: row}
    if row.connected_steer_output_ids:
        steered = SteerOutput.objects.filter(id=row.connected_steer_output_ids[-1]).first()
        if steered is not None:
            pair[STEERED] = steered
    return pair


def _plan(row: SteerOutput) -> SteerPlan:
    settings = SteerSettings(
        temperature=row.temperature,
        n_tokens=row.num_tokens,
        freq_penalty=row.freq_penalty,
        seed=row.seed,
        strength_multiplier=row.strength_multiplier,
        steer_method=row.steer_method,
        steer_special_tokens=row.steer_special_tokens,
        normalize_steering=row.normalize_steering,
    )
    return SteerPlan(
        model=row.model,
        chat=row.input_text_chat_template is not None,
        settings=settings,
        features=[],
    )


def _features(row: SteerOutput | None) -> list[dict[str, Any]]:
    """The features that steered `row`, each with its feature row (explanations, vector)."""
    if row is None:
        return []
    links = list(row.to_neurons.order_by("layer", "index"))
    if not links:
        return []
    keys = Q()
    for link in links:
        keys |= Q(model_id=link.model_id, layer=link.layer, index=link.index)
    neurons = {(f.model_id, f.layer, f.index): f for f in Feature.objects.filter(keys)}
    explanations: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for explanation in Explanation.objects.filter(keys).order_by("-score_v2", "-score_v1"):
        key = (explanation.model_id, explanation.layer, explanation.index)
        explanations.setdefault(key, []).append(
            {
                "description": explanation.description,
                "typeName": explanation.type_name_id,
                "explanationModelName": explanation.explanation_model_name_id,
            }
        )
    out = []
    for link in links:
        key = (link.model_id, link.layer, link.index)
        neuron = neurons.get(key)
        out.append(
            {
                "modelId": link.model_id,
                "layer": link.layer,
                "index": link.index,
                "strength": link.strength,
                "neuron": None if neuron is None else _neuron(neuron, explanations.get(key, [])),
            }
        )
    return out


def _neuron(feature: Feature, explanations: list[dict[str, Any]]) -> dict[str, Any]:
    row = row_dict(feature)
    keep = ("modelId", "layer", "index", "hasVector", "vectorLabel", "hookName", "maxActApprox")
    neuron = {name: row[name] for name in keep}
    neuron["vectorDefaultSteerStrength"] = row["vectorDefaultSteerStrength"]
    neuron["vector"] = row["vector"] if feature.has_vector else []
    neuron["explanations"] = explanations
    return neuron


def load(steer_output_id: str, user: User | None) -> dict[str, Any]:
    """The steer response of a saved result, plus what produced it: `modelId`, `isChat`,
    `inputText`, the chat messages of each side, `features` and `createdAt`.
    `outputTextIncludesPrompt` marks completions saved before version 2."""
    row = (
        SteerOutput.objects.select_related("model", "connected_default_output")
        .filter(id=steer_output_id)
        .first()
    )
    if row is None or not Model.objects.viewable_by(user).filter(id=row.model_id).exists():
        raise ApiError(NOT_FOUND, status=404)
    pair = _pair(row)
    if _steers_a_hidden_source(pair.get(STEERED), user):
        # The result would show the hidden features it steered with: as missing as they are.
        raise ApiError(NOT_FOUND, status=404)
    plan = _plan(row)
    outputs = {t: cache.output_from_row(r) for t, r in pair.items()}
    body = response_body(plan, outputs, pair)
    body["limit"] = None
    steered = pair.get(STEERED)
    body.update(
        {
            "modelId": row.model_id,
            "isChat": plan.chat,
            "inputText": row.input_text,
            "steeredChatMessages": _messages(steered),
            "defaultChatMessages": _messages(pair.get(DEFAULT)),
            "features": _features(steered),
            "outputTextIncludesPrompt": (not plan.chat) and row.version < 2,
            "createdAt": row_dict(row)["createdAt"],
        }
    )
    return body


def _steers_a_hidden_source(row: SteerOutput | None, user: User | None) -> bool:
    if row is None:
        return False
    steered = set(row.to_neurons.values_list("model_id", "layer"))
    if not steered:
        return False
    keys = Q()
    for model_id, layer in steered:
        keys |= Q(model_id=model_id, source_id=layer)
    return visible_sources(user).filter(keys).count() < len(steered)


def _messages(row: SteerOutput | None) -> list[dict[str, str]] | None:
    if row is None or not row.input_text_chat_template:
        return None
    return [
        {"role": m["role"], "content": m["content"]}
        for m in json.loads(row.input_text_chat_template)
    ]
