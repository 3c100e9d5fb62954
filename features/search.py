"""Explanation search (`POST /api/explanation/search*`), behind a pluggable backend.

Neuronpedia ranks explanations by the cosine similarity of OpenAI embeddings (pgvector). Here
the default backend is PostgreSQL full-text search, which needs no outside service; a semantic
backend plugs in by implementing `ExplanationSearchBackend` and calling `register_backend`, and
`settings.EXPLANATION_SEARCH_BACKEND` picks one. The backends only rank: which sources the user
may search (the scope) and the response shape are decided here, once for all of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Exists, OuterRef, QuerySet, Value

from features.access import NOT_FOUND_MESSAGE, visible_sources
from features.feature_detail import FeatureRef, features_json
from features.models import Explanation, Model, Source, SourceRelease, SourceSet
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

MAX_RESULTS = 20  # one page, as upstream
MAX_OFFSET = 100_000  # the deepest page a search may ask for (5000 pages)
ACTS_PER_RESULT = 3  # top activations shipped with each result's feature
FTS_CONFIG = "english"


@dataclass(frozen=True)
class SearchHit:
    model_id: str
    layer: str
    index: str
    description: str
    explanation_model_name: str | None
    type_name: str | None
    score: float


class ExplanationSearchBackend(Protocol):
    def search(
        self, query: str, sources: QuerySet[Source], offset: int, limit: int
    ) -> list[SearchHit]:
        """Best matches first among explanations of `sources`, `limit` from `offset`."""
        ...


_BACKENDS: dict[str, Callable[[], ExplanationSearchBackend]] = {}


def register_backend(name: str, factory: Callable[[], ExplanationSearchBackend]) -> None:
    if name in _BACKENDS:
        raise ValueError(f"Explanation search backend {name!r} is already registered.")
    _BACKENDS[name] = factory


def get_backend() -> ExplanationSearchBackend:
    name = settings.EXPLANATION_SEARCH_BACKEND
    if name not in _BACKENDS:
        raise ValueError(f"Unknown EXPLANATION_SEARCH_BACKEND {name!r}; known: {sorted(_BACKENDS)}")
    return _BACKENDS[name]()


# One full-text expression for the query and the GIN index `explanation_description_fts`:
# PostgreSQL uses the index only when the two match exactly.
DESCRIPTION_VECTOR = SearchVector("description", config=FTS_CONFIG)


def prefix_tsquery(query: str) -> str:
    """'dinosaur bones' → 'dinosaur:* & bones:*': every word, as a prefix (search as you type)."""
    words = re.findall(r"[^\W_]+", query.lower())
    return " & ".join(f"{word}:*" for word in words)


class FullTextBackend:
    """PostgreSQL full-text search; `score` is the cover-density rank scaled into [0, 1)."""

    def search(
        self, query: str, sources: QuerySet[Source], offset: int, limit: int
    ) -> list[SearchHit]:
        raw = prefix_tsquery(query)
        if not raw:
            return []
        tsquery = SearchQuery(raw, search_type="raw", config=FTS_CONFIG)
        in_scope = sources.filter(model_id=OuterRef("model_id"), source_id=OuterRef("layer"))
        rows = (
            Explanation.objects.annotate(document=DESCRIPTION_VECTOR)
            .filter(document=tsquery)
            .filter(Exists(in_scope))
            .annotate(
                rank=SearchRank(
                    DESCRIPTION_VECTOR, tsquery, cover_density=True, normalization=Value(32)
                )
            )
            .order_by("-rank", "-score_v1", "id")
            .values_list(
                "model_id",
                "layer",
                "index",
                "description",
                "explanation_model_name_id",
                "type_name_id",
                "rank",
            )[offset : offset + limit]
        )
        return [SearchHit(*row) for row in rows]


register_backend("fulltext", FullTextBackend)


def scope_for_layers(model_id: str, layers: Sequence[str], user: User | None) -> QuerySet[Source]:
    """`/search`: the given sources of a model (all of them for []); 404 if any is hidden."""
    if not Model.objects.viewable_by(user).filter(id=model_id).exists():
        raise ApiError(NOT_FOUND_MESSAGE, status=404)
    sources = visible_sources(user).filter(model_id=model_id)
    if not layers:
        return sources
    sources = sources.filter(source_id__in=set(layers))
    if sources.count() != len(set(layers)):
        raise ApiError(NOT_FOUND_MESSAGE, status=404)
    return sources


def scope_for_model(model_id: str, user: User | None) -> QuerySet[Source]:
    """`/search-model`: the model's sources that global listings show the user."""
    return visible_sources(user, listed=True).filter(model_id=model_id)


def scope_all(user: User | None) -> QuerySet[Source]:
    """`/search-all`: every source that global listings show the user."""
    return visible_sources(user, listed=True)


def scope_for_release(release_name: str, user: User | None) -> QuerySet[Source]:
    """`/search-release`: sources with dashboards in the release's sets (404 if hidden)."""
    if not SourceRelease.objects.viewable_by(user).filter(name=release_name).exists():
        raise ApiError("Release not found.", status=404)
    sets = SourceSet.objects.filter(
        release_id=release_name,
        has_dashboards=True,
        model_id=OuterRef("model_id"),
        name=OuterRef("set_name"),
    )
    return visible_sources(user).filter(has_dashboards=True).filter(Exists(sets))


def search_explanations(
    request_body: dict[str, Any],
    query: str,
    offset: int,
    sources: QuerySet[Source],
    user: User | None,
) -> dict[str, Any]:
    """One page of results in upstream's shape.

    `{request, results: [{modelId, layer, index, description, explanationModelName, typeName,
    cosine_similarity, neuron}], resultsCount, hasMore, nextOffset?}`; `neuron` is the feature
    with its top 3 public activations. `cosine_similarity` holds the backend's score (higher is
    better) under upstream's name.
    """
    hits = get_backend().search(query, sources, offset, MAX_RESULTS)
    refs = [FeatureRef(h.model_id, h.layer, h.index, max_acts=ACTS_PER_RESULT) for h in hits]
    neurons = {
        (n["modelId"], n["layer"], n["index"]): n for n in json.loads(features_json(refs, user))
    }
    results = [
        {
            "modelId": h.model_id,
            "layer": h.layer,
            "index": h.index,
            "description": h.description,
            "explanationModelName": h.explanation_model_name,
            "typeName": h.type_name,
            "cosine_similarity": h.score,
            "neuron": neurons.get((h.model_id, h.layer, h.index)),
        }
        for h in hits
    ]
    has_more = len(hits) == MAX_RESULTS
    body: dict[str, Any] = {
        "request": request_body,
        "results": results,
        "resultsCount": len(results),
        "hasMore": has_more,
    }
    if has_more:
        body["nextOffset"] = offset + len(results)
    return body
