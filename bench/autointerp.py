"""Batch autointerp throughput against a scripted LLM with a fixed latency, and the rate limit.

    python bench/autointerp.py [--features 400] [--concurrency 8] [--latency 0.2] [--rpm 20]

Creates a scratch database (`np_bench_autointerp`, migrated), a source of `--features`
features with one example each, and a user with an OpenRouter key; starts the tests' fake
OpenAI-compatible server on 127.0.0.1 in a process of its own (as a remote LLM would be),
answering every chat request after `--latency` seconds; then measures:

0. the bare `openai` client: the same number of chat requests from `--concurrency` threads,
   no database (what this machine allows);
1. the batch job (`workers.autointerp.batch.run`, as `manage.py autointerp` runs it): every
   feature with `--concurrency` threads and no effective rate limit; prints features/s and its
   ratio to the ideal `concurrency / latency` (goal >= 0.9), and to the bare client's rate
   (what the job adds on this machine). The time is the whole `run` call, its fixed costs
   included (creating the HTTP client, ~0.15 s, and the embedding job's kick, ~0.15 s, on a
   loaded 2-core box): 400 features (10 s at the ideal rate) make them ~3% of it;
2. rate limit: `--rate-features` more features with `--rpm` requests per minute; prints the
   most requests the server saw in any 60 s window (must be <= rpm) and how long it took.

Nothing is downloaded; the database is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

BENCH_DB = "np_bench_autointerp"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--features", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--rpm", type=int, default=20)
    parser.add_argument("--rate-features", type=int, default=30)
    args = parser.parse_args()

    import django
    from django.conf import settings

    settings.DATABASES["default"]["TEST"] = {"NAME": BENCH_DB}
    django.setup()
    from django.test.utils import setup_databases, teardown_databases

    databases = setup_databases(verbosity=0, interactive=False)
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        teardown_databases(databases, verbosity=0)


def run(args: argparse.Namespace) -> None:
    from django.conf import settings

    from features.autointerp import seed_config_rows
    from features.models import (
        Activation,
        AutointerpJob,
        ExplanationModelType,
        ExplanationScoreModel,
        ExplanationScoreType,
        ExplanationType,
        Feature,
        Model,
        Source,
        SourceSet,
    )
    from neuronpedia_site import llm_keys
    from neuronpedia_site.accounts import create_user, seed_users
    from workers.autointerp import batch

    server = LLMProcess(args.latency)
    settings.OPENROUTER_BASE_URL = server.url
    settings.LLM_TIMEOUT = 30
    seed_users()
    seed_config_rows(ExplanationType, ExplanationScoreType, ExplanationScoreModel)
    ExplanationModelType.objects.create(name="bench-llm")
    user, _ = create_user("bench", password="bench-password-1")
    llm_keys.save_user_key(user, "OPENROUTER", "sk-good")
    model = Model.objects.create(id="bench-lm", display_name="bench-lm", layers=2, dimension=64)
    for source_id, count in (("0-res-a", args.features), ("1-res-b", args.rate_features)):
        set_name = source_id.split("-", 1)[1]
        SourceSet.objects.get_or_create(model=model, name=set_name)
        Source.objects.create(model=model, source_id=source_id, set_name=set_name)
        for index in range(count):
            Feature.objects.create(
                model=model, layer=source_id, index=str(index), source_set_name=set_name
            )
            Activation.objects.create(
                model=model, layer=source_id, index=str(index), tokens=[" a", " b", " c"],
                values=[0.0, 3.0, 1.0], max_value=3.0, max_value_token_index=1, min_value=0.0,
            )  # fmt: skip

    def job(source_id: str, rpm: int) -> tuple[AutointerpJob, float]:
        row = AutointerpJob.objects.create(
            model_id="bench-lm",
            source_id=source_id,
            explanation_type="np_max-act",
            explanation_model="bench-llm",
            user=user,
            concurrency=args.concurrency,
            requests_per_minute=rpm,
        )
        started = time.monotonic()
        batch.run(row.id)
        row.refresh_from_db()
        return row, time.monotonic() - started

    try:
        bare = bare_requests(server.url, args.features, args.concurrency)
        ideal = args.concurrency / args.latency
        print(
            f"bare client: {args.features} chat requests, {args.concurrency} threads, in "
            f"{bare:.2f} s = {args.features / bare:.1f}/s; ratio {args.features / bare / ideal:.3f}"
            " (this machine's ceiling: no database, no prompt building)"
        )
        server.arrivals()
        done, seconds = job("0-res-a", rpm=1_000_000)
        throughput = done.features_done / seconds
        print(
            f"throughput: {done.features_done} features in {seconds:.2f} s = {throughput:.1f}/s; "
            f"ideal {args.concurrency} / {args.latency} s = {ideal:.1f}/s; "
            f"ratio {throughput / ideal:.3f} (goal >= 0.9); "
            f"{throughput / (args.features / bare):.3f} of the bare client's rate"
        )
        if not args.rate_features:
            return
        server.arrivals()  # forget the first phase's
        limited, seconds = job("1-res-b", rpm=args.rpm)
        arrivals = server.arrivals()
        busiest = max(sum(1 for t in arrivals if start <= t < start + 60.0) for start in arrivals)
        print(
            f"rate limit: {limited.features_done} features at rpm {args.rpm} in {seconds:.1f} s; "
            f"most requests in any 60 s window: {busiest} (limit {args.rpm}: "
            f"{'kept' if busiest <= args.rpm else 'EXCEEDED'})"
        )
    finally:
        server.stop()


def bare_requests(url: str, count: int, concurrency: int) -> float:
    """Seconds for `count` chat requests from `concurrency` threads sharing one client."""
    from concurrent.futures import ThreadPoolExecutor

    import openai

    llm = openai.OpenAI(base_url=url, api_key="sk-good", max_retries=0)

    def one(_: int) -> None:
        llm.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    return time.monotonic() - started


class LLMProcess:
    """The fake LLM server in a child process; `arrivals()` drains the arrival times (wall
    clock) of the chat requests it answered."""

    def __init__(self, latency: float) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.times: Any = context.Queue()
        ready: Any = context.Queue()
        self.process = context.Process(target=_serve, args=(latency, self.times, ready))
        self.process.start()
        self.url = ready.get(timeout=60)

    def arrivals(self) -> list[float]:
        import queue

        found = []
        while True:
            try:
                found.append(self.times.get(timeout=0.5))
            except queue.Empty:
                return sorted(found)

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


def _serve(latency: float, times: Any, ready: Any) -> None:
    from bench import fake_llm

    fake, _server = fake_llm.start()

    def answer(_request: Any) -> fake_llm.Reply:
        times.put(time.time())
        return fake_llm.Reply(content="Explanation: bench", delay=latency)

    fake.default = answer
    ready.put(fake.url)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
