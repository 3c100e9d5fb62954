"""A small feature search for the steer page: explanations, ids and the user's vector labels.

Only sources a global listing would show are searched (plus the user's own vectors), so
UNLISTED rows such as other users' vectors never come up by accident.
"""

from __future__ import annotations

import re
from typing import Any

from features.models import Explanation, Feature, Model, Source, SourceSet
from neuronpedia_site.models import User

MAX_RESULTS = 20
DEFAULT_FEATURE_STRENGTH = 10.0
# "6-res-jb/123", "6-res-jb:123" or "6-res-jb 123"
_FEATURE_ID = re.compile(r"^(?P<layer>[\w.-]+)[/: ](?P<index>\d+)$")


def _listed_sources(model: Model, user: User | None) -> list[str]:
    sets = SourceSet.objects.listed_for(user).filter(model=model).values_list("name", flat=True)
    return list(
        Source.objects.listed_for(user)
        .filter(model=model, set_name__in=list(sets))
        .values_list("source_id", flat=True)
    )


def search_result(feature: Feature, description: str = "") -> dict[str, Any]:
    return {
        "modelId": feature.model_id,
        "layer": feature.layer,
        "index": feature.index,
        "description": description or feature.vector_label or "",
        "hasVector": feature.has_vector,
        "vectorLabel": feature.vector_label,
        "defaultStrength": (
            feature.vector_default_steer_strength
            if feature.has_vector and feature.vector_default_steer_strength is not None
            else DEFAULT_FEATURE_STRENGTH
        ),
    }


def search_features(
    model_id: str, query: str, user: User | None, limit: int = MAX_RESULTS
) -> list[dict[str, Any]]:
    """Features of `model_id` matching `query`: a feature id ("6-res-jb/123"), a bare index, or
    text found in an explanation or (for the user's own vectors) a vector label."""
    model = Model.objects.viewable_by(user).filter(id=model_id).first()
    query = query.strip()
    if model is None or not query:
        return []
    sources = _listed_sources(model, user)
    features = Feature.objects.filter(model=model).only(
        "model",
        "layer",
        "index",
        "creator",
        "has_vector",
        "vector_label",
        "vector_default_steer_strength",
    )
    found: dict[tuple[str, str], dict[str, Any]] = {}

    def add(feature: Feature, description: str = "") -> None:
        found.setdefault((feature.layer, feature.index), search_result(feature, description))

    match = _FEATURE_ID.match(query)
    if match:
        for feature in features.filter(layer=match["layer"], index=match["index"]):
            own = user is not None and feature.creator_id == user.id
            if feature.layer in sources or own:
                add(feature, best_explanation(feature))
    elif query.isdigit():
        for feature in features.filter(layer__in=sources, index=query)[:limit]:
            add(feature, best_explanation(feature))
    if user is not None:
        for feature in features.filter(
            has_vector=True, creator=user, vector_label__icontains=query
        ).order_by("-created_at")[:limit]:
            add(feature)
    explanations = (
        Explanation.objects.filter(model=model, layer__in=sources, description__icontains=query)
        .order_by("-score_v2", "-score_v1")
        .values_list("layer", "index", "description")[: limit * 2]
    )
    by_key = {(layer, index): text for layer, index, text in explanations}
    if by_key:
        for feature in features.filter(
            layer__in={k[0] for k in by_key}, index__in={k[1] for k in by_key}
        ):
            if (feature.layer, feature.index) in by_key:
                add(feature, by_key[(feature.layer, feature.index)])
    return list(found.values())[:limit]


def best_explanation(feature: Feature) -> str:
    explanation = (
        Explanation.objects.filter(
            model_id=feature.model_id, layer=feature.layer, index=feature.index
        )
        .order_by("-score_v2", "-score_v1")
        .values_list("description", flat=True)
        .first()
    )
    return explanation or ""
