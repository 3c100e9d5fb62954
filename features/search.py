"""Explanation search (`POST /api/explanation/search*`): words and meaning, fused.

Neuronpedia ranks explanations by the cosine similarity of OpenAI embeddings, so search needs
an API key. Here several rankings of the explanations in scope are fused by reciprocal rank
fusion (each result scores the sum of 1 / (60 + its rank) over the rankings that have it):

- words: PostgreSQL full-text search with the `simple` configuration, which keeps stop words
  ("because" finds "because; predicts ..."), every word matched as a prefix;
- meaning: cosine distance between the query's and each explanation's local embedding
  (all-MiniLM-L6-v2, `ExplanationEmbedding`, an HNSW index); the query is embedded by a worker
  (`features.query_embeddings`), so "prehistoric reptiles" finds "dinosaurs and fossils";
- openai, only when the operator configured an embeddings endpoint: the same against the
  256-d OpenAI embeddings imported with Neuronpedia's explanations.

When no worker can embed the query in time, the answer comes from the words alone and says so
(`searchMethod: "fulltext"` and a `notice`). Which sources the user may search (the scope) and
the response shape are decided here, once for every ranking. docs/search.md has the details.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet

from features import query_embeddings
from features.access import NOT_FOUND_MESSAGE, visible_sources
from features.feature_detail import FeatureRef, features_json
from features.models import (
    FTS_CONFIG,
    LOCAL_EMBEDDING_DIM,
    Model,
    Source,
    SourceRelease,
    SourceSet,
)
from neuronpedia_site import timing
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

MAX_RESULTS = 20  # one page, as upstream
MAX_OFFSET = 100_000  # the deepest page a search may ask for (5000 pages)
ACTS_PER_RESULT = 3  # top activations shipped with each result's feature
RRF_K = 60  # reciprocal rank fusion's constant (Cormack et al. 2009)
# Each ranking contributes this many candidates for a page ending at `end`; fusing deeper
# lists than the page keeps a result that is second-best in both lists from being missed.
MAX_DEPTH = 1000
# Full-text matches ranked at most: a word in a third of a million explanations ("because")
# would otherwise rank them all. Beyond this many, an arbitrary subset is ranked.
WORD_MATCH_CAP = 10_000

HYBRID = "hybrid"
FULLTEXT = "fulltext"


@dataclass(frozen=True)
class SearchHit:
    model_id: str
    layer: str
    index: str
    description: str
    explanation_model_name: str | None
    type_name: str | None
    score: float


# One full-text expression for the query and the GIN index `explanation_description_simple`
# (`SearchVector("description", config=FTS_CONFIG)` in the model's Meta): PostgreSQL uses the
# index only when the two match exactly.
DESCRIPTION_VECTOR = f"to_tsvector('{FTS_CONFIG}'::regconfig, COALESCE(e.description, ''))"
TSQUERY = f"to_tsquery('{FTS_CONFIG}'::regconfig, %(tsquery)s)"


def prefix_tsquery(query: str) -> str:
    """'dinosaur bones' → 'dinosaur:* & bones:*': every word, as a prefix (search as you type)."""
    words = re.findall(r"[^\W_]+", query.lower())
    return " & ".join(f"{word}:*" for word in words)


def depth_for(end: int) -> int:
    return min(MAX_DEPTH, 2 * end + 40)


# The explanations in scope whose description has every word: one bitmap scan of the GIN
# index, the scope as filters (as `MEANING_SQL`), at most `cap` matches read (in the table's
# order) and ranked by cover density, scaled into [0, 1) (normalization 32: rank / (rank + 1)).
WORDS_SQL = f"""
SELECT id, rank FROM (
    SELECT e.id, e."scoreV1", ts_rank_cd({DESCRIPTION_VECTOR}, {TSQUERY}, 32) AS rank
    FROM "Explanation" e
    WHERE {DESCRIPTION_VECTOR} @@ {TSQUERY}
      AND e."modelId" = ANY(%(models)s) AND e.layer = ANY(%(layers)s)
      AND e."modelId" || chr(9) || e.layer <> ALL(%(holes)s::text[])
    LIMIT %(cap)s
) matches
ORDER BY rank DESC, "scoreV1" DESC, id
LIMIT %(depth)s
"""


def word_ranking(query: str, scope: ScopeFilter, depth: int) -> dict[str, float]:
    """Explanation id → full-text rank, best first. When more than `WORD_MATCH_CAP`
    explanations have the words, the first `WORD_MATCH_CAP` found are ranked: the same ones
    on every page, as the query runs without parallel workers (whose rows come in any order)."""
    raw = prefix_tsquery(query)
    if not raw:
        return {}
    params: dict[str, Any] = {
        "tsquery": raw,
        "cap": max(WORD_MATCH_CAP, depth),
        "depth": depth,
        **scope.params(),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('max_parallel_workers_per_gather', '0', true)")
        cursor.execute(WORDS_SQL, params)
        return {row[0]: float(row[1]) for row in cursor.fetchall()}


@dataclass(frozen=True)
class ScopeFilter:
    """The scope as plain filters PostgreSQL can estimate from column statistics: a row is in
    scope when its model is in `models`, its source in `layers`, and the pair is not one of
    the `holes` (existing sources those two lists would let in although the scope does not,
    such as a private source named like a public one in another model). Rows exist only for
    existing sources, so these filters select exactly the scope's rows."""

    models: list[str]
    layers: list[str]
    holes: list[str]  # "modelId<TAB>layer"

    @classmethod
    def of(cls, sources: QuerySet[Source]) -> ScopeFilter:
        pairs = set(sources.values_list("model_id", "source_id"))
        models = sorted({p[0] for p in pairs})
        layers = sorted({p[1] for p in pairs})
        around = Source.objects.filter(model_id__in=models, source_id__in=layers)
        holes = set(around.values_list("model_id", "source_id")) - pairs
        return cls(models, layers, sorted(f"{m}\t{layer}" for m, layer in holes))

    def params(self) -> dict[str, list[str]]:
        return {"models": self.models, "layers": self.layers, "holes": self.holes}


# The nearest explanations in scope. When most rows are in scope, PostgreSQL walks the HNSW
# index, filtering as it goes (`iterative_scan` keeps walking until `LIMIT` rows pass); when
# few are, it reads them through `explanation_embedding_source` and sorts them exactly. The
# scope is written as filters, not a join, so the planner can tell the two apart. The walk
# orders by the index's expression, the half-precision distance (`ExplanationEmbedding`'s
# index); the rows it returns are sorted again by full-precision distance (which also undoes
# `relaxed_order`'s slight disorder).
MEANING_SQL = f"""
SELECT id, distance FROM (
    SELECT ee."explanationId" AS id, ee.embedding <=> %(query)s::vector AS distance
    FROM "ExplanationEmbedding" ee
    WHERE ee."modelId" = ANY(%(models)s) AND ee.layer = ANY(%(layers)s)
      AND ee."modelId" || chr(9) || ee.layer <> ALL(%(holes)s::text[])
    ORDER BY ee.embedding::halfvec({LOCAL_EMBEDDING_DIM})
          <=> %(query)s::halfvec({LOCAL_EMBEDDING_DIM})
    LIMIT %(depth)s
) nearest
ORDER BY distance, id
"""

# Imported OpenAI embeddings (no index: exact, see docs/search.md).
OPENAI_SQL = """
SELECT id, distance FROM (
    SELECT e.id, e.embedding <=> %(query)s::vector AS distance
    FROM "Explanation" e
    WHERE e.embedding IS NOT NULL
      AND e."modelId" = ANY(%(models)s) AND e.layer = ANY(%(layers)s)
      AND e."modelId" || chr(9) || e.layer <> ALL(%(holes)s::text[])
    ORDER BY e.embedding <=> %(query)s::vector
    LIMIT %(depth)s
) nearest
ORDER BY distance, id
"""


def walk_settings(cursor: Any, depth: int) -> None:
    """pgvector's settings for the rest of this transaction: candidates per walk
    (`EXPLANATION_HNSW_EF_SEARCH`, or `depth` if more), and the iterative scan, which keeps
    walking while fewer than `LIMIT` rows passed the scope's filters (without it a walk whose
    first candidates are out of scope returns short, so the planner reads the scope instead)."""
    cursor.execute(
        "SELECT set_config('hnsw.ef_search', %s, true), "
        "set_config('hnsw.iterative_scan', 'relaxed_order', true)",
        [str(max(settings.EXPLANATION_HNSW_EF_SEARCH, depth))],
    )


def vector_ranking(sql: str, query_vector: str, scope: ScopeFilter, depth: int) -> dict[str, float]:
    """Explanation id → cosine distance, nearest first, by `MEANING_SQL` or `OPENAI_SQL`."""
    params: dict[str, Any] = {"query": query_vector, "depth": depth, **scope.params()}
    with transaction.atomic(), connection.cursor() as cursor:
        walk_settings(cursor, depth)
        cursor.execute(sql, params)
        return {row[0]: float(row[1]) for row in cursor.fetchall()}


def fuse(rankings: Sequence[Sequence[str]]) -> list[str]:
    """Reciprocal rank fusion of rankings (ids, best first); ties by id."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, explanation_id in enumerate(ranking, start=1):
            scores[explanation_id] = scores.get(explanation_id, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores, key=lambda i: (-scores[i], i))


_DETAILS_SQL = """
SELECT e.id, e."modelId", e.layer, e.index, e.description, e."explanationModelName",
       e."typeName", {cosine}
FROM "Explanation" e LEFT JOIN "ExplanationEmbedding" ee ON ee."explanationId" = e.id
WHERE e.id = ANY(%(ids)s)
"""


def _hits(
    ids: list[str], local_vector: str | None, word_ranks: dict[str, float]
) -> list[SearchHit]:
    """The page's rows in `ids` order. The score is the cosine similarity of the local
    embeddings (0 for an explanation the background job has not embedded yet), or the
    full-text rank when the search ran on words alone."""
    if not ids:
        return []
    cosine = "1 - (ee.embedding <=> %(query)s::vector)" if local_vector else "NULL::float"
    with connection.cursor() as cursor:
        cursor.execute(_DETAILS_SQL.format(cosine=cosine), {"query": local_vector, "ids": ids})
        rows = {row[0]: row for row in cursor.fetchall()}
    hits = []
    for explanation_id in ids:
        row = rows.get(explanation_id)
        if row is None:  # deleted since it was ranked
            continue
        if local_vector is None:
            score = word_ranks.get(explanation_id, 0.0)
        else:
            score = float(row[7]) if row[7] is not None else 0.0
        model_id, layer, index, description, model_name, type_name = row[1:7]
        hits.append(SearchHit(model_id, layer, index, description, model_name, type_name, score))
    return hits


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    method: str
    notice: str | None


def rank(query: str, offset: int, sources: QuerySet[Source]) -> SearchPage:
    """One page of hits: every available ranking fused.

    The query's embedding is asked for first and computed on a worker while this process runs
    the full-text query and reads the scope, which do not need it; then the meaning ranking.
    Each step is a part of the request's Server-Timing header (`neuronpedia_site.timing`)."""
    end = offset + MAX_RESULTS
    depth = depth_for(end)
    with timing.part("embed-send"):
        pending = query_embeddings.start_local(query)
    with timing.part("scope"):
        scope = ScopeFilter.of(sources)
    with timing.part("words"):
        word_ranks = word_ranking(query, scope, depth)
    rankings: list[list[str]] = [list(word_ranks)]
    notices = []
    local_vector: str | None = None
    try:
        with timing.part("embed-wait"):
            local_vector = pending.get()
    except query_embeddings.EmbeddingUnavailable as exc:
        notices.append(f"Searched by words only: the query could not be embedded ({exc})")
    if local_vector is not None:
        with timing.part("meaning"):
            rankings.append(list(vector_ranking(MEANING_SQL, local_vector, scope, depth)))
    if query_embeddings.openai_configured():
        try:
            openai_vector = query_embeddings.openai(query)
        except query_embeddings.EmbeddingUnavailable as exc:
            notices.append(str(exc))
        else:
            rankings.append(list(vector_ranking(OPENAI_SQL, openai_vector, scope, depth)))
    method = HYBRID if len(rankings) > 1 else FULLTEXT
    ids = fuse(rankings)[offset:end] if method == HYBRID else rankings[0][offset:end]
    with timing.part("hits"):
        hits = _hits(ids, local_vector, word_ranks)
    return SearchPage(hits, method, " ".join(notices) or None)


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
    with its top 3 public activations. `cosine_similarity` holds the score (`_hits`) under
    upstream's name. Added: `searchMethod` ("hybrid", or "fulltext" when the query could not
    be embedded) and, when something was left out, a `notice` saying what and why.
    """
    page = rank(query, offset, sources)
    hits = page.hits
    refs = [FeatureRef(h.model_id, h.layer, h.index, max_acts=ACTS_PER_RESULT) for h in hits]
    with timing.part("neurons"):
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
        "searchMethod": page.method,
    }
    if page.notice:
        body["notice"] = page.notice
    if has_more:
        body["nextOffset"] = offset + len(results)
    return body
