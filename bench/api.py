"""Throughput and latency of GET /api/feature against a bare JSON 404, on one server.

1. Creates the database `np_bench_api` next to the app's (the same PostgreSQL server), migrates
   it, and seeds it with SQL (`INSERT ... SELECT generate_series`) unless it already holds the
   requested size: one public model, 10 sources, `--features` features (default 100,000) with
   logits and histograms, `--acts` public activations per feature (default 20, so 2,000,000) of
   `--tokens` tokens each, and one explanation per feature.
2. Runs the app under gunicorn (gthread), `--workers` servers of one worker each on loopback
   ports, against that database. The connections are spread over them evenly, as a load
   balancer would: with one gunicorn of several workers, keep-alive connections stay with
   whichever worker accepted them (5/3, 0/8 or 8/0 of 8), and the same build measured
   0.54-1.49x from run to run.
3. Drives each endpoint in turn with the same bounded load: `--concurrency` keep-alive
   connections, each sending its next request when the previous answer is in, for
   `--duration` seconds after a warm-up; `--rounds` rounds, the endpoints' order reversed every
   other round. Feature requests pick a random feature each time.
4. Prints requests/s, p50 and p99 latency per endpoint (medians over rounds) and the goal
   figure: the feature endpoint's throughput against a JSON 404 (`/api/nothing`: no database,
   no Redis), per round, its median and spread (goal >= 0.5x, p99 <= 50 ms); `/api/health`
   (2 SQL queries, 2 Redis calls) is shown for comparison. An answer with another status than
   the endpoint's own (200, or 404 for the floor) is an error, and any error means no ratio.

Usage: python bench/api.py [--features N] [--acts N] [--tokens N] [--duration S] [--rounds N]
       [--concurrency N] [--workers N] [--threads N] [--rate-limiter] [--reseed]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuronpedia_site.settings")

from bench.web import free_port, start_gunicorn, stop  # noqa: E402

if TYPE_CHECKING:
    from django.db.models import Model

BENCH_DB = "np_bench_api"
MODEL_ID = "bench-model"
SET_NAME = "res-bench"
SOURCES = 10


# --- database ------------------------------------------------------------------------------


def bench_database_url(app_url: str, name: str = BENCH_DB) -> str:
    """The app's database URL with the scratch database `name` in its place."""
    return urlunsplit(urlsplit(app_url)._replace(path=f"/{name}"))


def ensure_database(app_url: str, name: str = BENCH_DB) -> None:
    import psycopg

    with psycopg.connect(app_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"],
        env=env,
        check=True,
    )


def _insert_sql(model: type[Model], overrides: dict[str, str], source: str) -> str:
    """INSERT ... SELECT giving every column of `model` a value: an override, else its default."""
    from django.contrib.postgres.fields import ArrayField
    from django.db import models

    columns, values = [], []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.AutoField) or field.column in ("_key",):
            continue
        columns.append(f'"{field.column}"')
        if field.column in overrides:
            values.append(overrides[field.column])
        elif isinstance(field, ArrayField):
            values.append("'{}'")
        elif isinstance(field, models.DateTimeField):
            values.append("now()")
        elif field.null:
            values.append("NULL")
        else:
            default = field.get_default()
            values.append(
                "'" + str(default).replace("'", "''") + "'" if default is not None else "NULL"
            )
    table = f'"{model._meta.db_table}"'
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"


def seed(features: int, acts: int, tokens: int) -> None:
    """Fill the bench database (connected through DATABASE_URL) with SQL only."""
    import django

    django.setup()
    from django.db import connection

    from features.models import Activation, Explanation, Feature, Model, Source, SourceSet
    from neuronpedia_format.users import BOT_USER_ID

    # The WHERE refers to the outer row, so PostgreSQL draws new numbers for every row instead
    # of evaluating the subquery once.
    def floats(n: int, scale: str = "1", row: str = "g.g") -> str:
        return (
            f"ARRAY(SELECT round((random() * {scale})::numeric, 4)::float8 "
            f"FROM generate_series(1, {n}) WHERE {row} IS NOT NULL)"
        )

    def words(n: int, prefix: str) -> str:
        return (
            f"ARRAY(SELECT ' {prefix}' || i || '_' || (g.g % 997) FROM generate_series(1, {n}) i)"
        )

    started = time.monotonic()
    with connection.cursor() as cur:
        # Bulk load: no per-row foreign-key triggers (the rows are consistent by construction).
        cur.execute("SET session_replication_role = replica")
        for table in ("Activation", "Explanation", "Neuron", "Source", "SourceSet", "Model"):
            cur.execute(f'TRUNCATE "{table}" CASCADE')
        cur.execute(
            _insert_sql(
                Model,
                {
                    "id": f"'{MODEL_ID}'",
                    "displayName": "'Bench'",
                    "visibility": "'PUBLIC'",
                    "layers": "12",
                    "creatorId": f"'{BOT_USER_ID}'",
                },
                "(SELECT 1) g",
            )
        )
        cur.execute(
            _insert_sql(
                SourceSet,
                {
                    "modelId": f"'{MODEL_ID}'",
                    "name": f"'{SET_NAME}'",
                    "visibility": "'PUBLIC'",
                    "creatorId": f"'{BOT_USER_ID}'",
                },
                "(SELECT 1) g",
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
                    "creatorId": f"'{BOT_USER_ID}'",
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
                    "maxActApprox": "random() * 10",
                    "frac_nonzero": "random() / 100",
                    "pos_str": words(10, "pos"),
                    "pos_values": floats(10),
                    "neg_str": words(10, "neg"),
                    "neg_values": floats(10, "-1"),
                    "topkCosSimIndices": (
                        f"ARRAY(SELECT (g.g + i) % {features} FROM generate_series(1, 10) i)"
                    ),
                    "topkCosSimValues": floats(10),
                    "freq_hist_data_bar_heights": floats(50, "100"),
                    "freq_hist_data_bar_values": floats(50),
                    "logits_hist_data_bar_heights": floats(50, "100"),
                    "logits_hist_data_bar_values": floats(50),
                },
                f"generate_series(0, {features - 1}) g",
            )
        )
        print(f"  features: {time.monotonic() - started:.0f} s", flush=True)
        token_array = "ARRAY[" + ", ".join(f"' tok{i}'" for i in range(tokens)) + "]"
        cur.execute(
            _insert_sql(
                Activation,
                {
                    "id": "'b' || n._key || '-' || k.k",
                    "modelId": 'n."modelId"',
                    "layer": "n.layer",
                    "index": "n.index",
                    "tokens": token_array,
                    "values": floats(tokens, "5", row="k.k + n._key"),
                    "maxValue": "random() * 10",
                    "maxValueTokenIndex": f"(k.k * 7) % {tokens}",
                    "creatorId": f"'{BOT_USER_ID}'",
                    "dataSource": "'bench'",
                },
                f'"Neuron" n CROSS JOIN generate_series(1, {acts}) k',
            )
        )
        print(f"  activations: {time.monotonic() - started:.0f} s", flush=True)
        cur.execute(
            _insert_sql(
                Explanation,
                {
                    "id": "'e' || n._key",
                    "modelId": 'n."modelId"',
                    "layer": "n.layer",
                    "index": "n.index",
                    "description": "'tokens about topic ' || n.index",
                    "authorId": f"'{BOT_USER_ID}'",
                    "scoreV1": "random()",
                },
                '"Neuron" n',
            )
        )
        cur.execute("SET session_replication_role = DEFAULT")
        cur.execute('ANALYZE "Neuron"; ANALYZE "Activation"; ANALYZE "Explanation"')
    print(f"  seeded in {time.monotonic() - started:.0f} s", flush=True)


def counts() -> tuple[int, int]:
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute('SELECT (SELECT count(*) FROM "Neuron"), (SELECT count(*) FROM "Activation")')
        return cur.fetchone()


# --- server --------------------------------------------------------------------------------


# --- load ----------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    next_path: Callable[[], str]
    expected: int = 200  # any other status is an error


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


async def _read_response(reader: asyncio.StreamReader) -> int:
    status = int((await reader.readline()).split()[1])
    length, chunked = None, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
    if chunked:
        while (size := int((await reader.readline()).strip(), 16)) > 0:
            await reader.readexactly(size + 2)
        await reader.readline()
    elif length:
        await reader.readexactly(length)
    return status


async def _connection(
    port: int,
    next_path: Callable[[], str],
    expected: int,
    until: float,
    latencies: list[float] | None,
    errors: list[int],
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    while time.perf_counter() < until:
        request = f"GET {next_path()} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        started = time.perf_counter()
        writer.write(request)
        status = await _read_response(reader)
        if latencies is not None:
            latencies.append(time.perf_counter() - started)
        if status != expected:
            errors.append(status)
        done += 1
    writer.close()
    return done


async def _drive(
    ports: list[int],
    target: Target,
    seconds: float,
    concurrency: int,
    record: bool,
) -> tuple[int, list[float], list[int], float]:
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    until = started + seconds
    done = await asyncio.gather(
        *(
            # Connection i goes to server i mod n: every server gets the same share.
            _connection(
                ports[i % len(ports)],
                target.next_path,
                target.expected,
                until,
                latencies if record else None,
                errors,
            )
            for i in range(concurrency)
        )
    )
    return sum(done), latencies, errors, time.perf_counter() - started


def run_load(
    target: Target, ports: list[int], duration: float, concurrency: int, warmup: float
) -> Result:
    asyncio.run(_drive(ports, target, warmup, concurrency, record=False))
    total, latencies, errors, seconds = asyncio.run(
        _drive(ports, target, duration, concurrency, record=True)
    )
    return Result(target.name, total, len(errors), seconds, latencies)


def clear_rate_limits(redis_url: str) -> None:
    import redis

    conn = redis.Redis.from_url(redis_url)
    keys = list(conn.scan_iter(match="np:rl:*", count=1000))
    if keys:
        conn.delete(*keys)


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--acts", type=int, default=20, help="activations per feature")
    parser.add_argument("--tokens", type=int, default=24, help="tokens per activation")
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn servers, one worker each")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rate-limiter", action="store_true", help="keep the rate limiter on")
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    app_url = settings.DATABASE_URL
    url = bench_database_url(app_url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "DEBUG": "False",
        "LOG_LEVEL": "ERROR",
        "ENABLE_RATE_LIMITER": "True" if args.rate_limiter else "False",
    }
    print(f"database {BENCH_DB}: migrating", flush=True)
    ensure_database(app_url)
    migrate(env)
    seed_env = [
        sys.executable,
        __file__,
        "--_seed",
        str(args.features),
        str(args.acts),
        str(args.tokens),
    ]
    have = subprocess.run(
        [sys.executable, __file__, "--_counts"], env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    if args.reseed or int(have[0]) != args.features or int(have[1]) != args.features * args.acts:
        print(
            f"seeding {args.features:,} features x {args.acts} activations x {args.tokens} tokens",
            flush=True,
        )
        subprocess.run(seed_env, env=env, check=True)
    features, activations = (
        int(x)
        for x in subprocess.run(
            [sys.executable, __file__, "--_counts"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    )
    print(f"database holds {features:,} features, {activations:,} activations")

    log = Path(tempfile.gettempdir()) / "np_bench_api_server.log"
    ports = [free_port() for _ in range(args.workers)]
    # The servers' log (Django logs every 404 of the floor endpoint) goes to a file.
    servers = []
    try:
        for port in ports:
            servers.append(
                start_gunicorn(port, env, 1, args.threads, ("--keep-alive", "30"), log.open("a"))
            )
        indexes = args.features // SOURCES

        def feature_path() -> str:
            source = f"{random.randrange(SOURCES)}-{SET_NAME}"
            return f"/api/feature/{MODEL_ID}/{source}/{random.randrange(indexes)}"

        targets = [
            Target("GET /api/nothing (JSON 404, the goal's base)", lambda: "/api/nothing", 404),
            Target("GET /api/feature/{m}/{l}/{i}", feature_path),
            Target("GET /api/health (2 SQL + 2 Redis)", lambda: "/api/health"),
        ]
        with urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}{feature_path()}") as response:
            size = len(response.read())
        rounds: list[dict[str, Result]] = []
        for number in range(args.rounds):
            results = {}
            for target in targets if number % 2 == 0 else targets[::-1]:
                if args.rate_limiter:
                    clear_rate_limits(settings.REDIS_URL)
                results[target.name] = run_load(
                    target, ports, args.duration, args.concurrency, args.warmup
                )
            rounds.append(results)
    finally:
        for server in servers:
            stop(server)

    limiter = "on" if args.rate_limiter else "off"
    print(
        f"\n{args.workers} gunicorn servers x 1 gthread worker x {args.threads} threads, "
        f"{os.cpu_count()} CPUs, {args.concurrency} connections spread evenly, "
        f"{args.rounds} rounds of {args.duration:.0f} s per endpoint, rate limiter {limiter}; "
        f"a feature response is ~{size / 1024:.0f} KiB"
    )
    print(
        f"{'endpoint (medians over rounds)':<46} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7}"
    )
    for target in targets:
        runs = [r[target.name] for r in rounds]
        print(
            f"{target.name:<46} {statistics.median(r.rps for r in runs):>8.0f} "
            f"{statistics.median(r.percentile(0.5) for r in runs):>8.1f} "
            f"{statistics.median(r.percentile(0.99) for r in runs):>8.1f} "
            f"{sum(r.errors for r in runs):>7}"
        )
    errors = {t.name: sum(r[t.name].errors for r in rounds) for t in targets}
    if any(errors.values()):
        print(f"\nanswers with an unexpected status: {errors}; no ratio is printed")
        sys.exit(1)
    base, feature, health = (targets[0].name, targets[1].name, targets[2].name)
    ratios = [r[feature].rps / r[base].rps for r in rounds]
    ratio = statistics.median(ratios)
    spread = (max(ratios) - min(ratios)) / ratio
    p99 = statistics.median(r[feature].percentile(0.99) for r in rounds)
    print(
        f"\nfeature / JSON 404 throughput: {ratio:.2f}x "
        f"(goal >= 0.5x: {'met' if ratio >= 0.5 else 'NOT met'}); per round "
        f"{', '.join(f'{x:.2f}' for x in ratios)}, spread {spread:.0%} of the median; "
        f"feature p99 {p99:.1f} ms (goal <= 50 ms: {'met' if p99 <= 50 else 'NOT met'})"
    )
    health_ratio = statistics.median(r[feature].rps / r[health].rps for r in rounds)
    print(f"feature / health (for comparison, not the goal): {health_ratio:.2f}x")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_seed":
        seed(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--_counts":
        print(*counts())
    else:
        main()
