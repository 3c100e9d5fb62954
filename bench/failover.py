"""Failover benchmark: a worker SIGKILLed while searches are in flight; how long its callers wait.

    python bench/failover.py [--callers 16] [--warmup 8] [--before 3] [--after 15] [--rounds 2]

Starts inference workers for the bundled demo model (`run_worker --model demo-lm`, thread pool
and micro-batcher, as deployed), and `--callers` threads that each send search-all requests one
after another the way the web side does (`bus.routing.find`, then `LiveModel.search`, which is
`bus.client.call`), with no web server in between. After `--warmup` seconds (not counted: a
worker loads its SAEs on first use) and `--before` more, one worker is killed with SIGKILL (its
whole process group: no chance to finish or hand anything back); the callers go on for
`--after` seconds more. Two scenarios, side by side:

- two workers, one killed: the requests in flight at the kill should complete on the other;
- one worker, killed: they should end in a 503 naming the queue.

For the requests in flight at the kill it prints how many completed and their seconds after the
kill (median, max); for comparison, the median latency before the kill, and what the requests
sent after the kill got. Nothing is written to the database; Redis is database 14
(`bench/settings.py`).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from bench.web import start_worker, stop  # noqa: E402

MODEL_ID = "demo-lm"
WORKER_OPTIONS = ["--model", MODEL_ID, "--torch-threads", "1", "--no-default-queue"]
SOURCE_SET = "res-demo"
TEXT = "The cat sat on the mat and looked at the rain outside the window. " * 4
TIMEOUT = 120  # INFERENCE_TIMEOUT's default: what a caller would wait without failover


@dataclass
class Request:
    started: float
    ended: float
    outcome: str  # "ok" or the HTTP status of the WorkerError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, default=16, help="requests in flight at a time")
    parser.add_argument(
        "--warmup",
        type=float,
        default=8.0,
        help="seconds of requests not counted (a worker loads its SAEs on first use)",
    )
    parser.add_argument("--before", type=float, default=3.0, help="seconds before the kill")
    parser.add_argument("--after", type=float, default=15.0, help="seconds after the kill")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import django

    django.setup()
    from bus.connections import redis_client

    redis_client().flushdb()  # database 14: the bench's own queues and registry
    results: dict[str, list[dict[str, str]]] = {"two workers": [], "one worker": []}
    with tempfile.TemporaryDirectory(prefix="np-bench-failover-") as tmp:
        for round_number in range(args.rounds):
            for scenario, count in (("two workers", 2), ("one worker", 1)):
                print(f"round {round_number + 1}, {scenario} ...", flush=True)
                workers = [
                    start_worker(WORKER_OPTIONS, Path(tmp) / f"worker-{uuid.uuid4().hex[:6]}.log")
                    for _ in range(count)
                ]
                try:
                    results[scenario].append(run(workers, args))
                finally:
                    for worker in workers:
                        stop(worker)
                redis_client().flushdb()
    report(results)


def search_once() -> str:
    """One search-all request as the web side sends it; "ok" or the error's status."""
    from bus import routing
    from bus.errors import WorkerError

    live = routing.find(MODEL_ID, TIMEOUT)
    if live is None:
        return "503"
    request = {
        "prompt": TEXT,
        "source_set": SOURCE_SET,
        "selected_sources": [],
        "sort_by_token_indexes": [],
        "ignore_bos": True,
        "num_results": 10,
    }
    try:
        live.search([request])
    except WorkerError as error:
        return str(error.status)
    return "ok"


def run(workers: list[subprocess.Popen], args: argparse.Namespace) -> dict[str, str]:
    """Callers in a loop; the first worker killed after `args.before` seconds."""
    done = threading.Event()
    requests: list[Request] = []

    def caller() -> None:
        while not done.is_set():
            started = time.monotonic()
            outcome = search_once()
            requests.append(Request(started, time.monotonic(), outcome))

    with ThreadPoolExecutor(args.callers) as pool:
        for _ in range(args.callers):
            pool.submit(caller)
        time.sleep(args.warmup)
        measured_from = time.monotonic()
        time.sleep(args.before)
        killed_at = time.monotonic()
        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait(10)
        time.sleep(args.after)
        done.set()
    return summarize(requests, measured_from, killed_at)


def summarize(requests: list[Request], measured_from: float, killed_at: float) -> dict[str, str]:
    before = [
        r.ended - r.started for r in requests if measured_from <= r.started < r.ended < killed_at
    ]
    in_flight = [r for r in requests if r.started <= killed_at < r.ended]
    after = [r for r in requests if r.started > killed_at]
    waits = sorted(r.ended - killed_at for r in in_flight)
    ok = sum(r.outcome == "ok" for r in in_flight)
    failed = [r for r in in_flight if r.outcome != "ok"]
    return {
        "latency before the kill, median": f"{statistics.median(before) * 1000:.0f} ms"
        if before
        else "-",
        "requests in flight at the kill": str(len(in_flight)),
        "of which completed / errors": f"{ok} / {outcomes(failed)}",
        "seconds after the kill, median": f"{statistics.median(waits):.2f}" if waits else "-",
        "seconds after the kill, max": f"{waits[-1]:.2f}" if waits else "-",
        "requests sent after the kill": f"{len(after)}: {outcomes(after)}",
        "slowest of those": f"{max(r.ended - r.started for r in after):.2f} s" if after else "-",
    }


def outcomes(requests: Iterable[Request]) -> str:
    counts = Counter(r.outcome for r in requests)
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "none"


def report(results: dict[str, list[dict[str, str]]]) -> None:
    columns = [
        (f"{scenario}, round {i + 1}", summary)
        for scenario, rounds in results.items()
        for i, summary in enumerate(rounds)
    ]
    rows = list(columns[0][1])
    width = max(len(row) for row in rows)
    widths = [max(len(title), *(len(s[row]) for row in rows)) for title, s in columns]
    print()
    print(" " * width, *(t.rjust(w) for (t, _), w in zip(columns, widths, strict=True)), sep=" | ")
    for row in rows:
        cells = (s[row].rjust(w) for (_, s), w in zip(columns, widths, strict=True))
        print(row.ljust(width), *cells, sep=" | ")


if __name__ == "__main__":
    main()
