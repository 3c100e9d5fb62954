"""GraphMetadata rows: who sees them, their JSON shape (upstream's columns in camelCase), and
recording a validated graph. Hidden models' graphs are invisible: a lookup answers 404 and
lists leave them out."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from features.models import Model
from graphs import storage
from graphs.models import GraphMetadata
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

SLUG_RULE = re.compile(r"^[a-zA-Z0-9_.-]+$")
GRAPH_NOT_FOUND = "Graph not found"
MODEL_NOT_FOUND = "ERR_MODEL_DOES_NOT_EXIST"


def visible_graphs(user: User | None) -> QuerySet[GraphMetadata]:
    models = Model.objects.viewable_by(user).values("id")
    return GraphMetadata.objects.filter(model_id__in=models).select_related("user")


def get_graph(model_id: str, slug: str, user: User | None) -> GraphMetadata:
    found = visible_graphs(user).filter(model_id=model_id, slug=slug).first()
    if found is None:
        raise ApiError(GRAPH_NOT_FOUND, status=404)
    return found


def graph_dict(graph: GraphMetadata, *, with_user: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": graph.id,
        "modelId": graph.model_id,
        "sourceSetName": graph.source_set_name,
        "slug": graph.slug,
        "promptTokens": list(graph.prompt_tokens),
        "prompt": graph.prompt,
        "titlePrefix": graph.title_prefix,
        "isFeatured": graph.is_featured,
        "url": graph.url,
        "userId": graph.user_id,
        "createdAt": graph.created_at.isoformat(),
        "updatedAt": graph.updated_at.isoformat(),
    }
    if with_user:
        out["user"] = {"name": graph.user.username, "id": graph.user.id} if graph.user else None
    return out


def owned_graphs(user: User) -> list[dict[str, Any]]:
    """list-owned: the caller's graphs, most recently updated first."""
    rows = visible_graphs(user).filter(user=user).order_by("-updated_at")
    return [graph_dict(g) for g in rows]


def model_graphs(model_id: str, user: User | None) -> list[dict[str, Any]]:
    """A model's graphs (featured first, then newest), or 404 for a model the caller cannot
    see."""
    if not Model.objects.viewable_by(user).filter(id=model_id).exists():
        raise ApiError(MODEL_NOT_FOUND, status=404)
    rows = visible_graphs(user).filter(model_id=model_id).order_by("-is_featured", "-updated_at")
    return [graph_dict(g, with_user=True) for g in rows]


def require_model(model_id: str, user: User | None) -> Model:
    model = Model.objects.viewable_by(user).filter(id=model_id).first()
    if model is None:
        raise ApiError(MODEL_NOT_FOUND, status=404)
    return model


def check_slug(scan: str, slug: str) -> None:
    if not SLUG_RULE.match(scan) or not SLUG_RULE.match(slug):
        raise ApiError(
            "Invalid scan or slug. They must be alphanumeric and contain only underscores, "
            "hyphens, and periods."
        )


@transaction.atomic
def record(
    graph: dict[str, Any], key: str, user: User | None, source_set_name: str | None
) -> GraphMetadata:
    """Create or update the row of a validated graph stored under `key`. A slug taken by
    another user is refused; the caller's own is replaced (its old file deleted)."""
    meta = graph["metadata"]
    model = require_model(meta["scan"], user)
    check_slug(meta["scan"], meta["slug"])
    existing = (
        GraphMetadata.objects.select_for_update().filter(model=model, slug=meta["slug"]).first()
    )
    if existing is not None and (user is None or existing.user_id != user.id):
        raise ApiError(
            "This model already has this slug, and it was created by another user. "
            "Please use a different slug."
        )
    row = existing or GraphMetadata(model=model, slug=meta["slug"], user=user)
    old_key = row.storage_key
    row.source_set_name = source_set_name
    row.prompt_tokens = list(meta["prompt_tokens"])
    row.prompt = meta["prompt"]
    row.title_prefix = meta.get("title_prefix") or ""
    row.is_featured = False
    row.storage_key = key
    row.url = storage.public_url(key)
    row.save()
    if old_key and old_key != key:
        transaction.on_commit(lambda: storage.delete(old_key))
    return row


def source_set_of_graph(graph: dict[str, Any]) -> str | None:
    """The set named in `metadata.feature_details.neuronpedia_source_set` (or upstream's older
    `metadata.info.neuronpedia_source_set`), the part after the last `/`."""
    meta = graph["metadata"]
    name = (meta.get("feature_details") or {}).get("neuronpedia_source_set") or (
        meta.get("info") or {}
    ).get("neuronpedia_source_set")
    return str(name).rsplit("/", 1)[-1] if name else None


def delete_graph(model_id: str, slug: str, user: User) -> None:
    """Delete the caller's graph and its file: 404 when missing (or hidden), 403 when not
    theirs."""
    graph = get_graph(model_id, slug, user)
    if graph.user_id != user.id:
        raise ApiError("Unauthorized to delete this graph", status=403)
    key = graph.storage_key
    graph.delete()
    storage.delete(key)
