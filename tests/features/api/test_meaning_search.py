"""Explanation search by meaning: the demo pack's explanations embedded by the background job,
queries embedded by a worker on the `embed` queue, fused with full-text search."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from pgvector.django import CosineDistance
from rest_framework.test import APIClient

from features import embedding_jobs, search
from features.models import EmbeddingJob, Explanation, ExplanationEmbedding, Model, Source
from neuronpedia_site import timing
from tests.support.demo_exports import PACK
from tests.support.factories import make_explanation, make_feature, make_model, make_source
from tests.support.worker_processes import WorkerProcess

DEMO_SOURCE = "0-res-demo"
DEMO_FEATURES = 84  # the first 84 of the demo's 977 (79 explained): five dinosaur and two
# "weekend" features


def _demo_explanations() -> dict[int, str]:
    """Feature index → the demo pack's explanation, for the first `DEMO_FEATURES` features."""
    path = PACK / "export" / "v1" / "demo-lm" / DEMO_SOURCE / "explanations" / "batch-0.jsonl.gz"
    with gzip.open(path, "rt") as lines:
        rows = [json.loads(line) for line in lines]
    return {int(r["index"]): r["description"] for r in rows if int(r["index"]) < DEMO_FEATURES}


@pytest.fixture
def demo() -> dict[int, str]:
    explanations = _demo_explanations()
    source = make_source(make_model("demo-lm"), DEMO_SOURCE)
    for index, description in explanations.items():
        make_explanation(make_feature(source, index), description)
    return explanations


def _search(client: APIClient, query: str, offset: int = 0) -> dict:
    response = client.post(
        "/api/explanation/search-all", {"query": query, "offset": offset}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_the_background_job_embeds_every_explanation_with_progress(demo: dict[int, str]) -> None:
    from workers import embedding_job, embeddings

    job = EmbeddingJob.objects.create()
    seen: list[tuple[int, int]] = []
    finished = embedding_job.run(
        job.pk, on_progress=lambda j: seen.append((j.done, j.total)), batch_rows=25
    )
    assert finished.state == EmbeddingJob.State.DONE and finished.error == ""
    n = len(demo)
    assert seen == [(25, n), (50, n), (75, n), (n, n)]
    job.refresh_from_db()
    assert (job.done, job.total) == (n, n) and job.progress == 1.0 and job.seconds > 0
    assert ExplanationEmbedding.objects.count() == Explanation.objects.count() == n
    stored = ExplanationEmbedding.objects.get(explanation__index="5")
    assert (stored.model_id, stored.layer) == ("demo-lm", DEMO_SOURCE)
    expected = embeddings.embed([demo[5]])[0]
    assert max(abs(float(a) - float(b)) for a, b in zip(stored.embedding, expected)) < 1e-5
    # A new explanation is found by the next job; nothing is embedded twice.
    make_explanation(make_feature(Source.objects.get(source_id=DEMO_SOURCE), 999), "volcanoes")
    again = embedding_job.run(EmbeddingJob.objects.create().pk)
    assert (again.done, again.total) == (1, 1)
    assert ExplanationEmbedding.objects.count() == n + 1
    # PostgreSQL's own cascade (feature → explanation) takes the embedding along.
    with connection.cursor() as cursor:
        cursor.execute('DELETE FROM "Neuron" WHERE index = %s', ["5"])
    assert not ExplanationEmbedding.objects.filter(explanation__index="5").exists()
    assert ExplanationEmbedding.objects.count() == n


@pytest.mark.django_db
def test_a_word_finds_the_features_explained_with_it(anon: APIClient, demo) -> None:
    with_word = {i for i, d in demo.items() if "weekend" in d.lower()}
    assert len(with_word) >= 2
    body = _search(anon, "weekend")
    assert {int(r["index"]) for r in body["results"]} == with_word
    assert all("weekend" in r["description"].lower() for r in body["results"])
    assert _search(anon, "the")["resultsCount"] > 0


@pytest.mark.django_db
def test_without_an_embed_worker_it_searches_words_and_says_so(
    anon: APIClient, demo, settings: Any
) -> None:
    settings.SERVER_TIMING = True
    response = anon.post(
        "/api/explanation/search-all", {"query": "prehistoric reptiles"}, format="json"
    )
    assert list(timing.parse(response.headers["Server-Timing"])) == [
        *("embed-send", "scope", "words", "embed-wait", "hits", "neurons", "app")
    ]
    body = response.json()
    assert body["searchMethod"] == "fulltext"
    assert "run_worker --queues embed" in body["notice"]
    assert body["results"] == []
    page = Client().get("/search", {"q": "prehistoric reptiles"})
    assert page.status_code == 200
    assert "python manage.py run_worker --queues embed" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_synonym_finds_the_dinosaur_features(
    anon: APIClient, start_worker: Callable[..., WorkerProcess], settings: Any
) -> None:
    source = make_source(make_model("demo-lm"), DEMO_SOURCE)
    explanations = _demo_explanations()
    for index, description in explanations.items():
        make_explanation(make_feature(source, index), description)
    # Uploads and imports kick the job; here the worker on the default queue runs it.
    job = embedding_jobs.kick()
    start_worker("--queues", "embed")
    deadline = time.monotonic() + 180
    while job.state != EmbeddingJob.State.DONE and time.monotonic() < deadline:
        time.sleep(0.5)
        job.refresh_from_db()
    assert job.state == EmbeddingJob.State.DONE and job.done == len(explanations)

    settings.SERVER_TIMING = True
    response = anon.post(
        "/api/explanation/search-all", {"query": "prehistoric reptiles"}, format="json"
    )
    body = response.json()
    assert body["searchMethod"] == "hybrid" and "notice" not in body
    # The full-text query and the scope run while the worker embeds the query.
    assert list(timing.parse(response.headers["Server-Timing"])) == [
        *("embed-send", "scope", "words", "embed-wait", "meaning", "hits", "neurons", "app")
    ]
    top = body["results"][:3]
    assert all(r["description"].startswith("dinosaurs:") for r in top), top
    assert 0 < top[0]["cosine_similarity"] <= 1
    # No dinosaur explanation has both words ("reptile" alone is in one): words alone find
    # nothing.
    everywhere = search.ScopeFilter.of(Source.objects.all())
    assert not search.word_ranking("prehistoric reptiles", everywhere, 100)
    # Pages continue where the last one ended, with the same query embedding (cached).
    second = _search(anon, "prehistoric reptiles", offset=20)
    assert second["searchMethod"] == "hybrid"
    first_ids = {(r["layer"], r["index"]) for r in body["results"]}
    assert first_ids.isdisjoint({(r["layer"], r["index"]) for r in second["results"]})


@pytest.mark.django_db
def test_the_meaning_query_walks_the_hnsw_index(demo) -> None:
    # Enough rows (5,000 explanations of the demo features, random unit-free embeddings) that
    # reading them all would cost more than walking the index.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO "Explanation" (id, "modelId", layer, index, description, "scoreV1",
                                       "createdAt", "updatedAt", "authorId")
            SELECT 'synthetic-' || g, e."modelId", e.layer, e.index, 'synthetic ' || g, 0,
                   now(), now(), e."authorId"
            FROM generate_series(1, 5000) g
            JOIN "Explanation" e ON e.index = (g % 60)::text
            """
        )
        cursor.execute(
            """
            INSERT INTO "ExplanationEmbedding" ("explanationId", "modelId", layer, embedding)
            SELECT e.id, e."modelId", e.layer,
                   (SELECT array_agg(random() - 0.5)
                    FROM generate_series(1, 384 + 0 * length(e.id)))::vector
            FROM "Explanation" e
            """
        )
        cursor.execute('ANALYZE "ExplanationEmbedding"')
        scope = search.ScopeFilter.of(Source.objects.all())
        query = "[" + ",".join(["0.05"] * 384) + "]"
        cursor.execute(
            "EXPLAIN " + search.MEANING_SQL, {"query": query, "depth": 80, **scope.params()}
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using explanation_embedding_hnsw" in plan, plan
    # And the walk finds the nearest rows: the exact top 10 by a full sort.
    nearest = list(search.vector_ranking(search.MEANING_SQL, query, scope, 10))
    exact = list(
        ExplanationEmbedding.objects.order_by(
            CosineDistance("embedding", [0.05] * 384)
        ).values_list("explanation_id", flat=True)[:10]
    )
    assert len(set(nearest) & set(exact)) >= 9


@pytest.mark.django_db
def test_a_scoped_walk_finds_enough_rows_when_the_nearest_are_out_of_scope(
    demo, settings: Any
) -> None:
    # 8,000 explanations in the demo source pointing anywhere, and 4,000 in another source of
    # the same model all next to the query: the first rows the HNSW walk meets are out of
    # scope. The iterative scan keeps walking until `depth` rows in scope have come.
    # pgvector's cost of a walk grows with ef_search: at the default 800, PostgreSQL sorts
    # 12,000 rows exactly rather than walk; at 200 it walks, which is what this test is about.
    settings.EXPLANATION_HNSW_EF_SEARCH = 200
    other = make_source(Model.objects.get(id="demo-lm"), "1-res-other")
    for index in range(DEMO_FEATURES):
        make_feature(other, index)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO "Explanation" (id, "modelId", layer, index, description, "scoreV1",
                                       "createdAt", "updatedAt", "authorId")
            SELECT 'synthetic-' || g, e."modelId",
                   CASE WHEN g <= 4000 THEN '1-res-other' ELSE e.layer END,
                   e.index, 'synthetic ' || g, 0, now(), now(), e."authorId"
            FROM generate_series(1, 12000) g
            JOIN "Explanation" e ON e.index = (g % 60)::text
            """
        )
        cursor.execute(
            """
            INSERT INTO "ExplanationEmbedding" ("explanationId", "modelId", layer, embedding)
            SELECT e.id, e."modelId", e.layer,
                   (SELECT array_agg(0 * d + CASE WHEN e.layer = '1-res-other'
                                                  THEN 0.05 + (random() - 0.5) * 0.01
                                                  ELSE random() - 0.5 END)
                    FROM generate_series(1, 384 + 0 * length(e.id)) d)::vector
            FROM "Explanation" e
            """
        )
        cursor.execute('ANALYZE "ExplanationEmbedding"')
    scope = search.ScopeFilter.of(Source.objects.filter(source_id=DEMO_SOURCE))
    query = "[" + ",".join(["0.05"] * 384) + "]"
    with transaction.atomic(), connection.cursor() as cursor:
        search.walk_settings(cursor, 80)  # as the search runs it
        cursor.execute(
            "EXPLAIN " + search.MEANING_SQL, {"query": query, "depth": 80, **scope.params()}
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using explanation_embedding_hnsw" in plan, plan  # two thirds in scope
    nearest = search.vector_ranking(search.MEANING_SQL, query, scope, 80)
    in_scope = ExplanationEmbedding.objects.filter(layer=DEMO_SOURCE)
    assert len(nearest) == 80
    assert set(in_scope.filter(explanation_id__in=nearest).values_list("layer", flat=True)) == {
        DEMO_SOURCE
    }
    exact = in_scope.order_by(CosineDistance("embedding", [0.05] * 384)).values_list(
        "explanation_id", flat=True
    )[:80]
    assert len(set(nearest) & set(exact)) >= 72
