"""What `/api/umap` serves: the stored 2-d layout of sources' features (written by the UMAP
job, `workers/umap_job.py`), in upstream's shape, one list per source.

Upstream reads the layout off explanation rows; ours lives on the Neuron rows (so features
without an explanation are placed too) and each point carries the feature's best explanation,
`id` and `description` being null for a feature with none (docs/differences.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from django.db.models import OuterRef, Subquery

from features.access import NOT_FOUND_MESSAGE, visible_sources
from features.models import Explanation, Feature
from features.pages.browse import explanation_order
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User


class UmapPoint(TypedDict):
    id: str | None  # the best explanation's id
    layer: str
    index: str
    description: str | None
    umap_cluster: int | None
    umap_x: float
    umap_y: float
    umap_log_feature_sparsity: float | None


def umap_points(model_id: str, layers: list[str], user: User | None) -> dict[str, list[UmapPoint]]:
    """`{layer: [point]}` for each requested source; 404 (the same as a missing one) when the
    caller may not see the model or any of the sources."""
    wanted = list(dict.fromkeys(layers))
    visible = set(
        visible_sources(user)
        .filter(model_id=model_id, source_id__in=wanted)
        .values_list("source_id", flat=True)
    )
    if not wanted or visible != set(wanted):
        raise ApiError(NOT_FOUND_MESSAGE, status=404)
    return {layer: _points(model_id, layer) for layer in wanted}


def _points(model_id: str, layer: str) -> list[UmapPoint]:
    best = Explanation.objects.filter(
        model_id=OuterRef("model_id"), layer=OuterRef("layer"), index=OuterRef("index")
    ).order_by(*explanation_order())
    rows = (
        Feature.objects.filter(model_id=model_id, layer=layer, umap_x__isnull=False)
        .annotate(
            explanation_id=Subquery(best.values("id")[:1]),
            description=Subquery(best.values("description")[:1]),
        )
        .values(
            "explanation_id",
            "index",
            "description",
            "umap_cluster",
            "umap_x",
            "umap_y",
            "umap_log_feature_sparsity",
        )
    )
    return [_point(layer, row) for row in rows]


def _point(layer: str, row: Mapping[str, Any]) -> UmapPoint:
    return {
        "id": row["explanation_id"],
        "layer": layer,
        "index": row["index"],
        "description": row["description"],
        "umap_cluster": row["umap_cluster"],
        "umap_x": row["umap_x"],
        "umap_y": row["umap_y"],
        "umap_log_feature_sparsity": row["umap_log_feature_sparsity"],
    }
