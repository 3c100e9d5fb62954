"""Features joined for inference answers: each with its top public activation, explanations and
model, fetched for many `(layer, index)` keys in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from features.models import Activation, Explanation, Feature, Model
from features.rows import row_dict
from neuronpedia_site.models import PUBLIC_ACTIVATIONS_USER_IDS

FeatureKey = tuple[str, str]  # (layer, index) within one model

# Neuronpedia blanks these in every API answer.
_BLANKED = ("correlated_features_indices", "correlated_features_pearson", "correlated_features_l1")


def features_by_key(model_id: str, keys: Iterable[FeatureKey]) -> dict[FeatureKey, Feature]:
    """The Feature rows among `keys` (one query)."""
    wanted = set(keys)
    if not wanted:
        return {}
    return {
        (f.layer, f.index): f for f in Feature.objects.filter(key_filter(wanted), model_id=model_id)
    }


def key_filter(keys: Iterable[FeatureKey]) -> Q:
    """Exactly these `(layer, index)` keys, one `index IN (...)` per layer: `layer IN (...) AND
    index IN (...)` would also match every other pairing (300 rows for 50 keys on 6 layers)."""
    by_layer: dict[str, set[str]] = {}
    for layer, index in keys:
        by_layer.setdefault(layer, set()).add(index)
    match = Q()
    for layer, indexes in sorted(by_layer.items()):
        match |= Q(layer=layer, index__in=sorted(indexes))
    return match


def neuron_dicts(
    model: Model, features: dict[FeatureKey, Feature], with_activation: bool = True
) -> dict[FeatureKey, dict[str, Any]]:
    """Neuronpedia's Neuron JSON for each feature: the row plus `explanations`, `model` and (with
    `with_activation`) `activations` holding its top public activation. Three queries at most."""
    if not features:
        return {}
    keys = key_filter(features)
    explanations: dict[FeatureKey, list[dict[str, Any]]] = {}
    for explanation in Explanation.objects.filter(keys, model_id=model.id).order_by(
        "-score_v2", "-score_v1", "created_at"
    ):
        key = (explanation.layer, explanation.index)
        if key in features:
            explanations.setdefault(key, []).append(row_dict(explanation, exclude=("embedding",)))
    top: dict[FeatureKey, dict[str, Any]] = {}
    if with_activation:
        # DISTINCT ON keeps the first row per feature in this order: its highest maxValue.
        for activation in (
            Activation.objects.filter(
                keys, model_id=model.id, creator_id__in=PUBLIC_ACTIVATIONS_USER_IDS
            )
            .order_by("layer", "index", "-max_value")
            .distinct("layer", "index")
        ):
            top[(activation.layer, activation.index)] = row_dict(activation)
    model_row = row_dict(model)
    out = {}
    for key, feature in features.items():
        neuron = row_dict(feature)
        for name in _BLANKED:
            neuron[name] = []
        neuron["explanations"] = explanations.get(key, [])
        neuron["model"] = model_row
        if with_activation:
            neuron["activations"] = [top[key]] if key in top else []
        out[key] = neuron
    return out
