"""Explanation search for the `/search` page.

`search_explanations()` has the signature the page is written against and returns upstream's
response shape (`{results: [{modelId, layer, index, description, explanationModelName,
typeName}], resultsCount, hasMore, nextOffset?}`). Here it is a plain case-insensitive match of
every word of the query, best-scored explanations first.

TODO(merge): the API branch brings `features/search.py` (ranked full-text search behind
pluggable backends); make this function a thin call to it (scope: `scope_for_layers` with
layers, `scope_for_model` with a model, else `scope_all`) and delete the body below.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Exists, F, OuterRef, Q
from django.http import Http404

from features.models import Explanation, Model
from features.pages import visible_sources
from neuronpedia_site.models import User

MAX_RESULTS = 20  # one page, as upstream
MIN_QUERY_LENGTH = 3  # as upstream's /api/explanation/search


def search_explanations(
    query: str,
    model_id: str | None = None,
    layers: list[str] | None = None,
    offset: int = 0,
    user: User | None = None,
) -> dict[str, Any]:
    """One page of explanations matching `query` that `user` may see."""
    words = re.findall(r"[^\W_]+", query.lower())
    if len(query.strip()) < MIN_QUERY_LENGTH or not words:
        return {"results": [], "resultsCount": 0, "hasMore": False}
    if model_id is not None and not Model.objects.viewable_by(user).filter(id=model_id).exists():
        raise Http404("No such model.")
    # Listings hide UNLISTED sources of others; naming the sources (layers) reaches them.
    sources = visible_sources(user, listed=not layers)
    if model_id is not None:
        sources = sources.filter(model_id=model_id)
    if layers:
        sources = sources.filter(source_id__in=layers)
    match = Q()
    for word in words:
        match &= Q(description__icontains=word)
    rows = list(
        Explanation.objects.filter(match)
        .filter(Exists(sources.filter(model_id=OuterRef("model_id"), source_id=OuterRef("layer"))))
        .order_by(F("score_v2").desc(nulls_last=True), F("score_v1").desc(), "id")
        .values(
            "model_id",
            "layer",
            "index",
            "description",
            "explanation_model_name_id",
            "type_name_id",
        )[offset : offset + MAX_RESULTS + 1]
    )
    has_more = len(rows) > MAX_RESULTS
    results = [
        {
            "modelId": r["model_id"],
            "layer": r["layer"],
            "index": r["index"],
            "description": r["description"],
            "explanationModelName": r["explanation_model_name_id"],
            "typeName": r["type_name_id"],
        }
        for r in rows[:MAX_RESULTS]
    ]
    body: dict[str, Any] = {"results": results, "resultsCount": len(results), "hasMore": has_more}
    if has_more:
        body["nextOffset"] = offset + len(results)
    return body
