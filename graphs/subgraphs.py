"""Saved subgraphs (pinned nodes, supernodes, labels): save or overwrite your own, list yours,
delete yours, and the featured ones anyone may see."""

from __future__ import annotations

from typing import Any

from graphs import catalog
from graphs.models import GraphMetadataSubgraph
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User


def subgraph_dict(sub: GraphMetadataSubgraph, *, with_user_id: bool = True) -> dict[str, Any]:
    user: dict[str, Any] = {"name": sub.user.username}
    if with_user_id:
        user["id"] = sub.user.id
    return {
        "id": sub.id,
        "displayName": sub.display_name,
        "graphMetadataId": sub.graph_metadata_id,
        "pinnedIds": list(sub.pinned_ids),
        "supernodes": sub.supernodes,
        "clerps": sub.clerps,
        "pruningThreshold": sub.pruning_threshold,
        "densityThreshold": sub.density_threshold,
        "userId": sub.user_id,
        "isFeaturedSolution": sub.is_featured_solution,
        "createdAt": sub.created_at.isoformat(),
        "updatedAt": sub.updated_at.isoformat(),
        "user": user,
    }


def save(data: dict[str, Any], user: User) -> str:
    """Create a subgraph, or overwrite one of yours (`overwriteId`); its id."""
    fields = {
        "pinned_ids": data["pinnedIds"],
        "supernodes": data["supernodes"],
        "clerps": data["clerps"],
        "pruning_threshold": data["pruningThreshold"],
        "density_threshold": data["densityThreshold"],
    }
    overwrite = data.get("overwriteId")
    if overwrite:
        updated = GraphMetadataSubgraph.objects.filter(id=overwrite, user=user).update(**fields)
        if not updated:
            raise ApiError("You are not authorized to overwrite this subgraph", status=403)
        return str(overwrite)
    graph = catalog.get_graph(data["modelId"], data["slug"], user)
    sub = GraphMetadataSubgraph.objects.create(
        graph_metadata=graph, user=user, display_name=data.get("displayName"), **fields
    )
    return sub.id


def _of_graph(model_id: str, slug: str, user: User | None) -> Any:
    graph = catalog.get_graph(model_id, slug, user)
    return GraphMetadataSubgraph.objects.filter(graph_metadata=graph).select_related("user")


def owned(model_id: str, slug: str, user: User) -> list[dict[str, Any]]:
    rows = _of_graph(model_id, slug, user).filter(user=user).order_by("-created_at")
    return [subgraph_dict(s) for s in rows]


def featured(model_id: str, slug: str, user: User | None) -> list[dict[str, Any]]:
    rows = _of_graph(model_id, slug, user).filter(is_featured_solution=True).order_by("-created_at")
    return [subgraph_dict(s, with_user_id=False) for s in rows]


def delete(subgraph_id: str, user: User) -> None:
    sub = GraphMetadataSubgraph.objects.filter(id=subgraph_id).first()
    if sub is None:
        raise ApiError("Subgraph not found", status=404)
    if sub.user_id != user.id:
        raise ApiError("You are not authorized to delete this subgraph", status=403)
    sub.delete()
