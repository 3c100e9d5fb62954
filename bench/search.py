"""Explanation search by meaning at scale: latency through the API, HNSW recall, job speed.

1. Creates the database `np_bench_search` next to the app's (the same PostgreSQL server),
   migrates it, and seeds it unless it already holds `--rows` explanations: one public model,
   10 sources, `--rows` explanations (4 per feature) whose descriptions are drawn from
   `--phrases` distinct topic phrases. Their embeddings are synthetic, for speed: each phrase
   is embedded with the real model (all-MiniLM-L6-v2) and each row gets its phrase's vector
   plus a random share (0 to 1) of another phrase's, plus Gaussian noise (`--noise` per
   dimension), normalized; rows are loaded with binary COPY, then the HNSW index is built
   (timed).
2. recall@20: for `--recall-queries` queries (real embeddings of new phrases), the meaning
   ranking's top 20 as search runs it (HNSW, `features.search.MEANING_SQL` over every source)
   against the exact top 20 (the same query with index scans off), two ways: strict (the
   share of the exact 20 ids found) and tie-aware, as ann-benchmarks counts it (a result is
   right when its distance is within `--epsilon`, default 0.001, of the exact 20th
   distance): the corpus holds many rows at nearly the same distance from a query, and which
   of them is 20th and which 21st is noise, not a miss.
3. Starts gunicorn and one embedding worker (`run_worker --queues embed`) on that database and
   sends `--queries` searches, one at a time, each a query text not seen before (so its
   embedding is not cached; the bench's Redis database is cleared first), to
   `POST /api/explanation/search-all`: p50/p99 end to end, including the query embedding on
   the worker, and the p50 of each stage from the answers' Server-Timing header
   (`features.search.rank`); also the worker's round trip alone. Then `--word-queries`
   searches of words found in many descriptions ("because fossil"), whose full-text side has
   thousands of matches to rank.
4. Embeddings/s of the background job (`workers.embedding_job`) over `--job-rows` new
   explanations with real text, embedded for real.

Usage: python bench/search.py [--rows 1000000] [--phrases 1000] [--queries 200] [--reseed]
       [--ef-search 800] [--skip recall,latency,job]
Goals: p50 <= 50 ms, recall@20 >= 0.95.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from bench.api import _insert_sql, bench_database_url, ensure_database  # noqa: E402
from bench.web import free_port, start_gunicorn, start_worker, stop  # noqa: E402

BENCH_DB = "np_bench_search"
MODEL_ID = "bench-model"
SET_NAME = "res-bench"
SOURCES = 10
PER_FEATURE = 4
HNSW_INDEX = "explanation_embedding_hnsw"

TOPICS = {
    "dinosaurs": "fossil raptor triceratops extinct jurassic bones",
    "weather": "rain umbrella storm cloud forecast thunder",
    "code": "function bug compiler python loop exception",
    "cooking": "recipe oven flour bake spice kitchen",
    "music": "guitar melody chord drum song rhythm",
    "space": "planet orbit rocket galaxy star telescope",
    "law": "court judge contract lawyer verdict appeal",
    "sports": "football goal match team score league",
    "medicine": "doctor patient symptom fever vaccine clinic",
    "finance": "bank loan interest stock market price",
    "ocean": "whale coral tide shark reef wave",
    "history": "empire king war treaty medieval castle",
}
GLUE = ["because", "the", "and", "of", "in", "to", "predicts", "after", "before", "with"]
QUERY_WORDS = [
    "prehistoric",
    "reptiles",
    "ancient",
    "creatures",
    "rainy",
    "days",
    "software",
    "errors",
    "baking",
    "bread",
    "songs",
    "instruments",
    "astronomy",
    "outer",
    "space",
    "legal",
    "disputes",
    "ball",
    "games",
    "illness",
    "healthcare",
    "money",
    "investing",
    "sea",
    "animals",
    "old",
    "kingdoms",
    "battles",
    "weather",
    "reports",
    "programming",
    "mistakes",
]


def phrase(rng: random.Random) -> str:
    topic = rng.choice(list(TOPICS))
    words = rng.sample(TOPICS[topic].split(), 3)
    return f"{topic}: {', '.join(words)}; {rng.choice(GLUE)} {rng.choice(GLUE)} {words[0]}"


def query_text(rng: random.Random) -> str:
    return " ".join(rng.sample(QUERY_WORDS, 2)) + f" {rng.randrange(10**6)}"


def word_query_texts(rng: random.Random, count: int) -> list[str]:
    """`count` different queries whose words are in many descriptions: a joining word and a
    topic's name or word ("because fossil", "raptor the"), each in 1/120 to 1/5 of the rows,
    so the full-text side has thousands of matches to rank."""
    words = [w for topic, rest in TOPICS.items() for w in [topic, *rest.split()]]
    pairs = [(g, w) for g in GLUE for w in words] + [(w, g) for g in GLUE for w in words]
    return [" ".join(pair) for pair in rng.sample(pairs, count)]


# --- database ------------------------------------------------------------------------------


def seeded_rows() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute('SELECT count(*) FROM "ExplanationEmbedding"')
        return int(cur.fetchone()[0])


def seed(rows: int, phrases: int, noise: float) -> None:
    """Model, sources, features and explanations by SQL; embeddings by binary COPY."""
    import numpy as np
    from django.db import connection
    from pgvector.psycopg import register_vector

    from features.models import Explanation, Feature, Model, Source, SourceSet
    from neuronpedia_format.users import BOT_USER_ID
    from workers import embeddings

    rng = random.Random(0)
    texts = sorted({phrase(rng) for _ in range(phrases * 3)})[:phrases]
    started = time.monotonic()
    centers = embeddings.embed(texts)
    print(f"  {len(texts)} phrases embedded: {time.monotonic() - started:.0f} s", flush=True)
    features = (rows + PER_FEATURE - 1) // PER_FEATURE
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no FK triggers: consistent
        for table in ("ExplanationEmbedding", "Explanation", "Neuron", "Source", "SourceSet"):
            cur.execute(f'TRUNCATE "{table}" CASCADE')
        cur.execute('DELETE FROM "Model"')
        one = "(SELECT 1) g"
        bot = f"'{BOT_USER_ID}'"
        cur.execute(
            _insert_sql(
                Model,
                {
                    "id": f"'{MODEL_ID}'",
                    "displayName": "'Bench'",
                    "visibility": "'PUBLIC'",
                    "layers": "12",
                    "creatorId": bot,
                },
                one,
            )
        )
        cur.execute(
            _insert_sql(
                SourceSet,
                {
                    "modelId": f"'{MODEL_ID}'",
                    "name": f"'{SET_NAME}'",
                    "visibility": "'PUBLIC'",
                    "creatorId": bot,
                },
                one,
            )
        )
        cur.execute(
            _insert_sql(
                Source,
                {
                    "id": f"g || '-{SET_NAME}'",
                    "modelId": f"'{MODEL_ID}'",
                    "setName": f"'{SET_NAME}'",
                    "visibility": "'PUBLIC'",
                    "creatorId": bot,
                },
                f"generate_series(0, {SOURCES - 1}) g",
            )
        )
        cur.execute(
            _insert_sql(
                Feature,
                {
                    "modelId": f"'{MODEL_ID}'",
                    "layer": f"(g.g % {SOURCES}) || '-{SET_NAME}'",
                    "index": f"(g.g / {SOURCES})::text",
                    "sourceSetName": f"'{SET_NAME}'",
                },
                f"generate_series(0, {features - 1}) g",
            )
        )
        cur.execute("CREATE TEMP TABLE phrase (n int, text text)")
        cur.execute(
            "INSERT INTO phrase SELECT n - 1, t FROM unnest(%s::text[]) WITH ORDINALITY AS p(t, n)",
            [texts],
        )
        # Row g: feature g / PER_FEATURE, phrase g % phrases (so the embedding below matches).
        cur.execute(
            _insert_sql(
                Explanation,
                {
                    "id": "'x' || g.g",
                    "modelId": f"'{MODEL_ID}'",
                    "layer": f"((g.g / {PER_FEATURE}) % {SOURCES}) || '-{SET_NAME}'",
                    "index": f"((g.g / {PER_FEATURE}) / {SOURCES})::text",
                    "description": "p.text",
                    "authorId": bot,
                    "scoreV1": "random()",
                },
                f"generate_series(0, {rows - 1}) g JOIN phrase p ON p.n = g.g % {len(texts)}",
            )
        )
        print(f"  {rows} explanations: {time.monotonic() - started:.0f} s", flush=True)
        cur.execute(f"DROP INDEX IF EXISTS {HNSW_INDEX}")
    raw = connection.connection
    register_vector(raw)
    generator = np.random.default_rng(0)
    chunk = 50_000
    with (
        raw.cursor() as cur,
        cur.copy(
            'COPY "ExplanationEmbedding" ("explanationId", "modelId", layer, embedding) '
            "FROM STDIN (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(["varchar", "varchar", "varchar", "vector"])
        for start in range(0, rows, chunk):
            g = np.arange(start, min(rows, start + chunk))
            # Between the row's own phrase and a random other one, plus noise: rows spread out
            # as real explanations do, rather than a thousand copies of each phrase (whose
            # near-ties no index orders exactly).
            other = generator.integers(0, len(texts), len(g))
            weight = generator.uniform(0, 1, (len(g), 1)).astype(np.float32)
            vectors = (
                centers[g % len(texts)]
                + weight * centers[other]
                + generator.normal(0, noise, (len(g), centers.shape[1])).astype(np.float32)
            )
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            for i, vector in zip(g, vectors):
                layer = f"{(i // PER_FEATURE) % SOURCES}-{SET_NAME}"
                copy.write_row((f"x{i}", MODEL_ID, layer, vector))
    raw.commit()
    print(f"  {rows} embeddings copied: {time.monotonic() - started:.0f} s", flush=True)
    build = time.monotonic()
    from features.models import ExplanationEmbedding

    (hnsw,) = [i for i in ExplanationEmbedding._meta.indexes if i.name == HNSW_INDEX]
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '2GB'")
    with connection.schema_editor() as editor:  # the migrations' index, as they build it
        editor.add_index(ExplanationEmbedding, hnsw)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"  HNSW index built: {time.monotonic() - build:.0f} s", flush=True)


# --- measurements --------------------------------------------------------------------------


def exact_neighbours(queries: int) -> list[tuple[str, dict[str, float]]]:
    """(query vector, its exact top 20 over every source, id → distance) for new phrases:
    index scans off."""
    from django.db import connection, transaction

    from features import search
    from features.models import Source
    from workers import embeddings

    rng = random.Random(1)
    scope = search.ScopeFilter.of(Source.objects.all())
    found = []
    for _ in range(queries):
        vector = embeddings.vector_literal(embeddings.embed([phrase(rng)])[0])
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL enable_indexscan = off")
            cur.execute(search.MEANING_SQL, {"query": vector, "depth": 20, **scope.params()})
            found.append((vector, {row[0]: float(row[1]) for row in cur.fetchall()}))
    return found


def recall(
    truth: list[tuple[str, dict[str, float]]], ef_search: int, epsilon: float
) -> tuple[float, float, float]:
    """recall@20 of the meaning ranking as search runs it (first page): strict, tie-aware
    (within `epsilon` of the exact 20th distance), and its mean ms."""
    from django.conf import settings

    from features import search
    from features.models import Source

    settings.EXPLANATION_HNSW_EF_SEARCH = ef_search
    scope = search.ScopeFilter.of(Source.objects.all())
    depth = search.depth_for(search.MAX_RESULTS)
    hits, near, seconds = 0, 0, 0.0
    for vector, exact in truth:
        started = time.perf_counter()
        ranked = search.vector_ranking(search.MEANING_SQL, vector, scope, depth)
        seconds += time.perf_counter() - started
        approximate = list(ranked)[:20]
        hits += len(set(approximate) & set(exact))
        twentieth = max(exact.values())
        near += sum(1 for i in approximate if ranked[i] <= twentieth + epsilon)
    count = 20 * len(truth)
    return hits / count, near / count, seconds / len(truth) * 1000


def plan() -> str:
    from django.db import connection

    from features import search
    from features.models import Source

    scope = search.ScopeFilter.of(Source.objects.all())
    with connection.cursor() as cur:
        cur.execute('SELECT embedding::text FROM "ExplanationEmbedding" LIMIT 1')
        vector = cur.fetchone()[0]
        cur.execute(
            "EXPLAIN " + search.MEANING_SQL, {"query": vector, "depth": 80, **scope.params()}
        )
        lines = [row[0] for row in cur.fetchall()]
    return next((line.strip() for line in lines if "ExplanationEmbedding" in line), "?")[:100]


def start_embed_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    from bus.client import EMBED_QUEUE

    return start_worker(["--queues", EMBED_QUEUE, "--no-default-queue"], log, env)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


STAGES = {
    "embed-send": "query embedding: task sent",
    "scope": "scope (sources searched)",
    "words": "full-text query (while the embedding is computed)",
    "embed-wait": "query embedding: the rest of its wait",
    "meaning": "meaning query (HNSW)",
    "hits": "fusion's page: its rows",
    "neurons": "feature join (features and top activations)",
}


def stage_table(parts: list[dict[str, float]]) -> list[tuple[str, float]]:
    """Medians of the Server-Timing parts of the answers (`features.search.rank`), the rest of
    Django (rendering, middleware: `app` less its parts) and what lies outside Django (HTTP,
    gunicorn, the client: the request's total less `app`)."""
    rows = [(label, [p.get(name, 0.0) for p in parts]) for name, label in STAGES.items()]
    rows.append(
        (
            "rest of Django (view, JSON, middleware)",
            [p["app"] - sum(p.get(name, 0.0) for name in STAGES) for p in parts],
        )
    )
    rows.append(("outside Django (HTTP, gunicorn, client)", [p["total"] - p["app"] for p in parts]))
    rows.append(("total", [p["total"] for p in parts]))
    return [(label, statistics.median(values)) for label, values in rows]


def api_latency(url: str, texts: list[str]) -> dict[str, Any]:
    """Each text sent once to search-all, one at a time, after 10 warm-up requests."""
    from neuronpedia_site import timing

    warm = [f"warm up {n}" for n in range(10)]
    times, methods, parts = [], set(), []
    for n, text in enumerate(warm + texts):
        body = json.dumps({"query": text}).encode()
        request = urllib.request.Request(
            url, body, {"Content-Type": "application/json"}, method="POST"
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
            header = response.headers["Server-Timing"] or ""
        elapsed = time.perf_counter() - started
        if n >= len(warm):
            times.append(elapsed)
            methods.add(answer["searchMethod"])
            parts.append({**timing.parse(header), "total": elapsed * 1000})
    return {
        "p50": percentile(times, 50) * 1000,
        "p99": percentile(times, 99) * 1000,
        "hybrid": methods == {"hybrid"},
        "stages": stage_table(parts) if parts and "app" in parts[0] else [],
    }


def latency(env: dict[str, str], queries: int, word_queries: int) -> dict[str, Any]:
    from django.conf import settings
    from django.core.cache import cache

    from bus import client, task_names

    cache.clear()  # the bench's Redis database: no query embedding left from an earlier run
    rng = random.Random(2)
    log = Path(env["BENCH_LOG_DIR"])
    worker = start_embed_worker(env, log / "embed-worker.log")
    port = free_port()
    web = start_gunicorn(port, env, workers=1, threads=4)
    try:
        timeout = settings.EXPLANATION_EMBED_TIMEOUT
        round_trips = []
        for n in range(10 + max(20, queries // 4)):  # the first 10 warm the worker up
            started = time.perf_counter()
            client.call(
                task_names.EMBED_QUERY,
                {"text": query_text(rng)},
                queue=client.EMBED_QUEUE,
                timeout=timeout,
            )
            if n >= 10:
                round_trips.append(time.perf_counter() - started)
        url = f"http://127.0.0.1:{port}/api/explanation/search-all"
        found: dict[str, Any] = {"embed_p50": percentile(round_trips, 50) * 1000}
        found["meaning"] = api_latency(url, [query_text(rng) for _ in range(queries)])
        if word_queries:
            found["words"] = api_latency(url, word_query_texts(rng, word_queries))
        return found
    finally:
        stop(web)
        stop(worker)


def print_latency(kind: str, count: int, result: dict[str, Any], embed_p50: float) -> None:
    print(
        f"search-all through the API, {count} new {kind} one at a time: "
        f"p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms (goal p50 <= 50 ms); "
        f"query embedding round trip alone p50 {embed_p50:.1f} ms; "
        f"all hybrid: {result['hybrid']}",
        flush=True,
    )
    for label, ms in result["stages"]:
        print(f"  {label:<55} p50 {ms:7.1f} ms")


def job_speed(rows: int) -> float:
    from django.db import connection

    from features.models import EmbeddingJob
    from neuronpedia_format.users import BOT_USER_ID
    from workers import embedding_job

    rng = random.Random(3)
    texts = [phrase(rng) + f" {i}" for i in range(rows)]
    with connection.cursor() as cur:
        cur.execute('DELETE FROM "ExplanationEmbedding" WHERE "explanationId" LIKE \'job%%\'')
        cur.execute("DELETE FROM \"Explanation\" WHERE id LIKE 'job%%'")
        cur.execute(
            'INSERT INTO "Explanation" (id, "modelId", layer, index, description, "scoreV1", '
            '"createdAt", "updatedAt", "authorId") '
            "SELECT 'job' || n, %s, %s, '0', t, 0, now(), now(), %s "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS p(t, n)",
            [MODEL_ID, f"0-{SET_NAME}", BOT_USER_ID, texts],
        )
    job = embedding_job.run(EmbeddingJob.objects.create().pk)
    with connection.cursor() as cur:
        cur.execute('DELETE FROM "ExplanationEmbedding" WHERE "explanationId" LIKE \'job%%\'')
        cur.execute("DELETE FROM \"Explanation\" WHERE id LIKE 'job%%'")
    return job.done / job.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--phrases", type=int, default=1000)
    parser.add_argument("--noise", type=float, default=0.03)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--word-queries",
        type=int,
        default=100,
        help="Queries of words in many descriptions ('because fossil'), after --queries.",
    )
    parser.add_argument(
        "--ef-search",
        type=int,
        default=0,
        help="EXPLANATION_HNSW_EF_SEARCH for the API (default: the setting's).",
    )
    parser.add_argument("--recall-queries", type=int, default=100)
    parser.add_argument("--job-rows", type=int, default=1000)
    parser.add_argument("--epsilon", type=float, default=1e-3, help="Tie-aware recall's.")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--database", default=BENCH_DB, help="The scratch database's name.")
    parser.add_argument("--skip", default="", help="Comma-separated: recall,latency,job")
    args = parser.parse_args()
    skip = set(args.skip.split(","))

    import django
    from django.conf import settings

    app_url = settings.DATABASE_URL
    ensure_database(app_url, args.database)
    url = bench_database_url(app_url, args.database)
    os.environ["DATABASE_URL"] = url
    settings.DATABASES["default"]["NAME"] = args.database
    django.setup()
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"],
        env={**os.environ, "DATABASE_URL": url},
        check=True,
    )
    from neuronpedia_site.accounts import seed_users

    seed_users()
    if args.reseed or seeded_rows() != args.rows:
        print(f"seeding {args.rows} explanations", flush=True)
        seed(args.rows, args.phrases, args.noise)
    print(f"explanations: {seeded_rows()} (goal: >= 1,000,000)")
    print(f"meaning query plan: {plan()}")
    if "recall" not in skip:
        started = time.monotonic()
        truth = exact_neighbours(args.recall_queries)
        print(
            f"exact top 20 of {args.recall_queries} queries: "
            f"{(time.monotonic() - started) / args.recall_queries * 1000:.0f} ms each",
            flush=True,
        )
        for ef in sorted({100, 200, settings.EXPLANATION_HNSW_EF_SEARCH, 400, 600, 800}):
            strict, tied, ms = recall(truth, ef, args.epsilon)
            print(
                f"recall@20 HNSW vs exact, ef_search {ef}: strict {strict:.3f}, "
                f"tie-aware (epsilon {args.epsilon:g}) {tied:.3f} (goal >= 0.95), "
                f"{ms:.1f} ms per meaning query",
                flush=True,
            )
    if "latency" not in skip:
        log_dir = Path(os.getenv("BENCH_LOG_DIR", "/tmp"))
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "BENCH_LOG_DIR": str(log_dir),
            "PYTHONUNBUFFERED": "1",
        }
        if args.ef_search:
            env["EXPLANATION_HNSW_EF_SEARCH"] = str(args.ef_search)
        print(f"ef_search through the API: {args.ef_search or settings.EXPLANATION_HNSW_EF_SEARCH}")
        result = latency(env, args.queries, args.word_queries)
        print_latency("queries", args.queries, result["meaning"], result["embed_p50"])
        if "words" in result:
            print_latency(
                "queries of common words", args.word_queries, result["words"], result["embed_p50"]
            )
    if "job" not in skip:
        print(
            f"background job: {job_speed(args.job_rows):.0f} explanations/s "
            f"({args.job_rows} real texts)",
            flush=True,
        )


if __name__ == "__main__":
    main()
