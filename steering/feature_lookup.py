"""Requested steering features, checked against what the user may see and resolved to what the
worker needs: `{source, index}` for an SAE latent, or the stored vector and its hook."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q

from features import access
from features.models import Feature, Model
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User
from steering.plan import SteerFeature

MIXED_MESSAGE = "Can't steer both vector and non-vector features"
VECTOR_SET_PREFIX = "neuronpedia-resid-"


def get_model(model_id: str, user: User | None) -> Model:
    model = Model.objects.viewable_by(user).filter(id=model_id).first()
    if model is None:
        raise ApiError(f"Model not found: {model_id}", status=404)
    return model


def visible_sources(model: Model, source_ids: Iterable[str], user: User | None) -> set[str]:
    """Those of `source_ids` whose model, source and source set the user may see."""
    visible = access.visible_sources(user).filter(model=model, source_id__in=set(source_ids))
    return set(visible.values_list("source_id", flat=True))


def resolve_features(
    model: Model, requested: Sequence[dict[str, Any]], user: User | None
) -> list[SteerFeature]:
    """Each `{modelId?, layer, index, strength}` as a SteerFeature (404 for one the user may not
    see; 400 for vectors mixed with SAE latents, or a feature named twice)."""
    keys = []
    for item in requested:
        model_id = item.get("modelId") or model.id
        if model_id != model.id:
            raise ApiError(f"Every feature must be from the model {model.id}, got {model_id}")
        keys.append((str(item["layer"]), str(item["index"]), float(item["strength"])))
    if len({(layer, index) for layer, index, _ in keys}) != len(keys):
        raise ApiError("A feature is listed more than once; combine their strengths instead")
    visible = visible_sources(model, {layer for layer, _, _ in keys}, user)
    rows = _feature_rows(model, [(layer, index) for layer, index, _ in keys])
    resolved = []
    for layer, index, strength in keys:
        row = rows.get((layer, index))
        if layer not in visible or (row is None and _is_vector_source(layer)):
            raise ApiError(f"Feature not found: {model.id}/{layer}/{index}", status=404)
        if row is not None and row.has_vector:
            resolved.append(
                SteerFeature(
                    model.id, layer, index, strength, tuple(row.vector), row.hook_name or ""
                )
            )
        else:
            resolved.append(SteerFeature(model.id, layer, index, strength))
    if len({f.is_vector for f in resolved}) > 1:
        raise ApiError(MIXED_MESSAGE)
    return resolved


def _feature_rows(model: Model, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Feature]:
    if not keys:
        return {}
    query = Q()
    for layer, index in keys:
        query |= Q(layer=layer, index=index)
    rows = Feature.objects.filter(model=model).filter(query)
    return {(f.layer, f.index): f for f in rows}


def _is_vector_source(layer: str) -> bool:
    return VECTOR_SET_PREFIX in layer
