"""Attribution graphs: circuit-tracer's `attribute` on the demo model, bare and through a worker.

    python bench/graphs.py [--tokens 8,16,32,64] [--rounds 5] [--skip-bus] [--api-url URL]

On the bundled demo model with its `tc-demo` transcoders (nothing downloaded), prints side by
side in one run:

1. Time (median of `--rounds`) and peak memory of the bare in-process `attribute` call
   (`workers.graphs.generate.attribute_prompt`, the graph server's defaults: max_n_logits 10,
   desired_logit_prob 0.95, batch_size 48, max_feature_nodes 10000) at each prompt length.
   Peak memory: on CUDA `torch.cuda.max_memory_allocated`; on the CPU the process's resident
   set sampled every 2 ms during the call, less what it was before.
2. Generation through the bus (`bench_through_bus`): a real worker process
   (`run_worker --model demo-lm --torch-threads 1`), `LiveModel.call(GRAPH_GENERATE, ...)`
   as the web side sends it (attribution, pruning, the graph JSON, clerps from the database),
   against the bare `attribute` call in this process with one torch thread too. Goal: <= 1.2x.
   Rounds interleave the two, so both see the same drift of a shared machine's load; each
   length starts with `WARM_UP` untimed calls of both.
3. With `--api-url` (once the web app serves `/api/graph/generate`): `bench_through_api`, the
   same comparison through `POST {url}/api/graph/generate` (`--api-key` for the
   `x-api-key` header).

Redis is database 14 (`bench/settings.py`); the worker reads explanations from `DATABASE_URL`'s
database (the app's; nothing is written).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

MODEL_ID = "demo-lm"
WORKER_OPTIONS = ["--model", MODEL_ID, "--torch-threads", "1", "--no-default-queue"]
TIMEOUT = 600
WARM_UP = 3  # calls of each side before the timed rounds, at each prompt length
TEXT = (
    "Yesterday the tyrannosaurus roamed the ancient plains while the raptors hunted near the "
    "river. The children visited the museum to see the fossil skeletons, and later they ate "
    "apples at the bakery. The rocket reached orbit around jupiter before dawn, and the "
    "forecast said rain would fall in the afternoon. I like dinosaurs because"
)


def load_graph_model() -> Any:
    from django.conf import settings

    from neuronpedia_format.demo_pack import MODEL_SUBDIR, TRANSCODERS_SUBDIR, demo_model_dir
    from workers.graphs.replacement import load_graph_model as load
    from workers.sources import local_sae_dirs

    pack = demo_model_dir(settings.DEMO_PACK_DIR)
    return load(pack / MODEL_SUBDIR, local_sae_dirs(pack / TRANSCODERS_SUBDIR), MODEL_ID)


def prompt_of(graph_model: Any, n_tokens: int) -> tuple[str, list[int]]:
    """A prompt text of exactly `n_tokens` tokens (BOS not counted) and the ids `attribute`
    gets (BOS first)."""
    tokenizer = graph_model.tokenizer
    ids = tokenizer(TEXT, add_special_tokens=False)["input_ids"]
    if len(ids) < n_tokens:
        raise SystemExit(f"the bench text has only {len(ids)} tokens")
    text = tokenizer.decode(ids[:n_tokens])
    again = tokenizer(text, add_special_tokens=False)["input_ids"]
    if len(again) != n_tokens:
        raise SystemExit(f"{n_tokens} tokens do not round-trip through text")
    return text, [tokenizer.bos_token_id, *again]


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def peak_memory(device: str) -> Iterator[dict[str, float]]:
    """`{"mib": peak}` once the block ends: CUDA allocations, or the CPU resident set's rise."""
    import torch

    out: dict[str, float] = {}
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        yield out
        out["mib"] = (torch.cuda.max_memory_allocated() - before) / 2**20
        return
    start = _rss()
    peak = [start]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss())
            done.wait(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield out
    finally:
        done.set()
        sampler.join()
        out["mib"] = (max(peak[0], _rss()) - start) / 2**20


def bare_attribute(graph_model: Any, ids: list[int]) -> Callable[[], Any]:
    from workers.graphs.generate import GraphOptions, attribute_prompt

    return lambda: attribute_prompt(graph_model, ids, GraphOptions())


def bench_sizes(graph_model: Any, sizes: list[int], rounds: int) -> None:
    device = str(graph_model.model.cfg.device)
    print(f"\n1. bare attribute() on {device}, median of {rounds} (peak memory: the largest)")
    print(f"{'tokens':>6} {'seconds':>9} {'peak MiB':>9} {'features':>9}")
    for n in sizes:
        _, ids = prompt_of(graph_model, n)
        run = bare_attribute(graph_model, ids)
        run()  # warm-up
        times, peaks = [], []
        for _ in range(rounds):
            with peak_memory(device) as mem:
                started = time.perf_counter()
                graph = run()
                times.append(time.perf_counter() - started)
            peaks.append(mem["mib"])
        print(
            f"{n:>6} {statistics.median(times):>9.3f} {max(peaks):>9.1f} "
            f"{len(graph.selected_features):>9}"
        )


def compare(
    label: str,
    graph_model: Any,
    sizes: list[int],
    rounds: int,
    through: Callable[[str], Any],
) -> None:
    """Interleaved rounds of `through(prompt)` and the bare call; medians and their ratio."""
    print(f"\n{label}: median of {rounds} interleaved rounds (goal <= 1.2x)")
    print(f"{'tokens':>6} {'through s':>10} {'bare s':>9} {'ratio':>7}")
    for n in sizes:
        text, ids = prompt_of(graph_model, n)
        bare = bare_attribute(graph_model, ids)
        # Warm-up both, a few times: a fresh worker's first graphs take up to half as much CPU
        # again (its allocator and caches settling), which one call does not cover.
        for _ in range(WARM_UP):
            through(text)
            bare()
        theirs: list[float] = []
        ours: list[float] = []

        def via(prompt: str = text) -> Any:
            return through(prompt)

        for round_number in range(rounds):
            pair: list[tuple[list[float], Callable[[], Any]]] = [(theirs, via), (ours, bare)]
            for times, run in pair if round_number % 2 == 0 else reversed(pair):
                started = time.perf_counter()
                run()
                times.append(time.perf_counter() - started)
        a, b = statistics.median(theirs), statistics.median(ours)
        print(f"{n:>6} {a:>10.3f} {b:>9.3f} {a / b:>6.2f}x")


def bench_through_bus(graph_model: Any, sizes: list[int], rounds: int) -> None:
    """2.: `GRAPH_GENERATE` on a real worker through `bus` against the bare call."""
    from bench.web import start_worker, stop
    from bus import routing
    from bus.connections import redis_client
    from bus.task_names import GRAPH_GENERATE

    redis_client().flushdb()  # database 14: the bench's own queues and registry
    with tempfile.TemporaryDirectory(prefix="np-bench-graphs-") as tmp:
        worker = start_worker(WORKER_OPTIONS, Path(tmp) / "worker.log")
        try:
            live = routing.find(MODEL_ID, TIMEOUT)
            assert live is not None and live.graph_source_set == "tc-demo"
            compare(
                "2. generate_graph through the bus vs bare attribute()",
                graph_model,
                sizes,
                rounds,
                lambda text: live.call(GRAPH_GENERATE, prompt=text, slug="bench"),
            )
        finally:
            stop(worker)
            redis_client().flushdb()


def bench_through_api(
    graph_model: Any, sizes: list[int], rounds: int, base_url: str, api_key: str | None
) -> None:
    """3.: `POST {base_url}/api/graph/generate` (upstream's body) against the bare call; for
    the lead to point at the web app once it serves the route (a worker must be running)."""
    import json
    import urllib.request
    import uuid

    headers = {"Content-Type": "application/json", **({"x-api-key": api_key} if api_key else {})}

    def through(text: str) -> Any:
        body = {"prompt": text, "modelId": MODEL_ID, "slug": f"bench-{uuid.uuid4().hex[:12]}"}
        request = urllib.request.Request(
            f"{base_url.rstrip('/')}/api/graph/generate",
            data=json.dumps(body).encode(),
            headers=headers,
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # raises on 4xx/5xx
            return json.loads(answer.read())

    compare("3. /api/graph/generate vs bare attribute()", graph_model, sizes, rounds, through)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", default="8,16,32,64", help="prompt lengths, comma-separated")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-bus", action="store_true", help="only the bare call's table")
    parser.add_argument("--api-url", help="also compare through POST URL/api/graph/generate")
    parser.add_argument("--api-key", help="x-api-key for --api-url")
    args = parser.parse_args()
    sizes = [int(n) for n in args.tokens.split(",")]

    import django
    import torch

    django.setup()
    torch.set_num_threads(1)  # as the worker (--torch-threads 1): the ratio compares like to like
    graph_model = load_graph_model()
    bench_sizes(graph_model, sizes, args.rounds)
    if not args.skip_bus:
        bench_through_bus(graph_model, sizes, args.rounds)
    if args.api_url:
        bench_through_api(graph_model, sizes, args.rounds, args.api_url, args.api_key)


if __name__ == "__main__":
    main()
