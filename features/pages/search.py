"""Explanation search for the `/search` page: the API's ranked search (`features/search.py`)
with the page's own rules (3-character minimum, 404 for a hidden model)."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from features import search
from features.models import Model
from neuronpedia_site.models import User

MIN_QUERY_LENGTH = 3  # as upstream's /api/explanation/search


def search_explanations(
    query: str,
    model_id: str | None = None,
    layers: list[str] | None = None,
    offset: int = 0,
    user: User | None = None,
) -> dict[str, Any]:
    """One page of explanations matching `query` that `user` may see, in upstream's shape."""
    if len(query.strip()) < MIN_QUERY_LENGTH:
        return {"results": [], "resultsCount": 0, "hasMore": False}
    if model_id is not None and not Model.objects.viewable_by(user).filter(id=model_id).exists():
        raise Http404("No such model.")
    if model_id is not None and layers:
        sources = search.scope_for_layers(model_id, layers, user)
    elif model_id is not None:
        sources = search.scope_for_model(model_id, user)
    else:
        sources = search.scope_all(user)
    body = {"query": query, "modelId": model_id, "layers": layers or [], "offset": offset}
    return search.search_explanations(body, query, offset, sources, user)
