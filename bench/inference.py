"""Search-all benchmark: the API end to end against the bare in-process call, and 8 concurrent
requests against the same requests one at a time.

    python bench/inference.py [--d-model 512 --layers 6 --d-sae 4096 --tokens 64 ...]

It builds a random model (a BPE tokenizer, a TransformerLens model of the given size, one
Standard SAE per layer on `hook_resid_pre`, all features in the DB so results are joined and
saved like real ones) in a temporary directory, creates a scratch database (`np_bench`), starts
one inference worker (`run_worker --model bench-lm`, thread pool + micro-batcher) and the web
server (gunicorn, as `manage.py serve` runs it), then measures:

1. bare: `workers.inference.activations_all` in this process, one request at a time;
2. API, one at a time: `POST /api/search-all/` (the same requests, the SavedSearch cache
   emptied between phases so every request runs the model);
3. API, N concurrent: the same requests with N in flight.

Each phase runs `--rounds` times, interleaved, and the medians are printed. Nothing is
downloaded; everything is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from bench.web import free_port, start_gunicorn, stop  # noqa: E402
from bench.web import start_worker as bench_start_worker  # noqa: E402
from workers.demo.corpus import generate_corpus  # noqa: E402

MODEL_ID = "bench-lm"
SOURCE_SET = "res-bench"
WEB_THREADS = 8  # per gunicorn worker
# Requests per web thread before measuring. Each thread has its own database connection, and
# PostgreSQL plans a prepared statement afresh for its first five executions on a connection
# (then it keeps a generic plan): cold, the gate and the feature join cost ~2 ms more. A
# server in use runs on warm connections, so the benchmark does too.
WARM_PER_THREAD = 8
# The bench's texts: plain prose (no ChatML) in the demo corpus's words, the same every run.
CORPUS = [d.text for d in generate_corpus(7, 200) if "<|" not in d.text]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--d-model", type=int, default=512)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--d-sae", type=int, default=4096)
    parser.add_argument("--tokens", type=int, default=64, help="tokens per text, BOS included")
    parser.add_argument("--requests", type=int, default=16, help="requests per phase and round")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--num-results", type=int, default=50)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch CPU threads, here and in the worker (0: torch's default, one per core). "
        "1 by default: on a shared machine two-thread torch ops stall whenever another job "
        "takes a core, which makes the comparison meaningless",
    )
    parser.add_argument(
        "--batch-size", type=int, help="the worker's --batch-size (its default if unset)"
    )
    parser.add_argument(
        "--batch-wait-ms", type=float, help="the worker's --batch-wait-ms (its default if unset)"
    )
    parser.add_argument("--pack", type=Path, help="keep the random model here (built if absent)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto (worker and bare)")
    parser.add_argument("--dtype", default="float32", help="model and SAE dtype (worker and bare)")
    parser.add_argument(
        "--profile",
        type=Path,
        help="sample the web and worker processes with py-spy during the measured rounds into "
        "DIR/web.txt and DIR/worker.txt (folded stacks; bench/device/profile_top.py reads them); "
        "sampling costs time, so such a run's numbers are not the benchmark's",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.test.utils import setup_databases, teardown_databases

    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    with tempfile.TemporaryDirectory(prefix="np-bench-") as tmp:
        pack = args.pack or Path(tmp)
        if not (pack / "model").exists():
            print(
                f"building a random model: d_model {args.d_model}, {args.layers} layers, "
                f"SAEs of {args.d_sae} features on every layer ...",
                flush=True,
            )
            build_pack(pack, args.d_model, args.layers, args.d_sae)
        old_config = setup_databases(verbosity=0, interactive=False)
        processes: list[subprocess.Popen] = []
        try:
            seed_database(args.layers, args.d_sae)
            env = child_env()
            processes.append(start_worker(pack, env, args))
            port = free_port()
            processes.append(
                start_gunicorn(port, env, args.web_workers, WEB_THREADS, ("--timeout", "300"))
            )
            run(args, pack, f"http://127.0.0.1:{port}", web=processes[1], worker=processes[0])
        finally:
            for process in processes:
                stop(process)
            teardown_databases(old_config, verbosity=0)


# -- setup -------------------------------------------------------------------------------------


def build_pack(root: Path, d_model: int, layers: int, d_sae: int) -> None:
    import torch
    from sae_lens import StandardSAE, StandardSAEConfig
    from sae_lens.saes.sae import SAEMetadata
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    from workers.demo.tokenizer import train_tokenizer
    from workers.model_dir import save_model_dir

    torch.manual_seed(0)
    tokenizer = train_tokenizer(CORPUS, root / "tokenizer", vocab_size=400)
    cfg = HookedTransformerConfig(
        n_layers=layers,
        d_model=d_model,
        n_heads=8,
        d_head=d_model // 8,
        d_mlp=4 * d_model,
        n_ctx=256,
        d_vocab=len(tokenizer),
        act_fn="gelu",
        normalization_type="LN",
        model_name=MODEL_ID,
        seed=0,
        device="cpu",
    )
    save_model_dir(HookedTransformer(cfg, tokenizer=tokenizer).eval(), tokenizer, root / "model")
    for layer in range(layers):
        meta = SAEMetadata(
            model_name=MODEL_ID,
            hook_name=f"blocks.{layer}.hook_resid_pre",
            hook_head_index=None,
            prepend_bos=True,
            context_size=128,
            neuronpedia_id=f"{MODEL_ID}/{layer}-{SOURCE_SET}",
        )
        sae = StandardSAE(StandardSAEConfig(d_in=d_model, d_sae=d_sae, metadata=meta))
        with torch.no_grad():
            sae.b_enc.fill_(-0.5)  # sparse-ish, as trained SAEs are
        sae.save_model(str(root / "saes" / f"{layer}-{SOURCE_SET}"))


def seed_database(layers: int, d_sae: int) -> None:
    from features.models import Feature, Model, Source, SourceSet
    from neuronpedia_site.accounts import seed_users

    seed_users()
    model = Model.objects.create(id=MODEL_ID, visibility="PUBLIC", layers=layers)
    SourceSet.objects.create(model=model, name=SOURCE_SET, visibility="PUBLIC")
    for layer in range(layers):
        source = f"{layer}-{SOURCE_SET}"
        Source.objects.create(
            model=model, source_id=source, set_name=SOURCE_SET, visibility="PUBLIC"
        )
        Feature.objects.bulk_create(
            (
                Feature(model=model, layer=source, index=str(i), source_set_name=SOURCE_SET)
                for i in range(d_sae)
            ),
            batch_size=5000,
        )
    # As the importer does after a load (`importer.jobs.analyze_tables`): planned without
    # statistics, the feature join takes several times longer until autovacuum gets to it.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def child_env() -> dict[str, str]:
    """The environment of the worker and web processes: this scratch database, same Redis."""
    from urllib.parse import urlsplit, urlunsplit

    from django.conf import settings
    from django.db import connection

    url = urlunsplit(
        urlsplit(settings.DATABASE_URL)._replace(path=f"/{connection.settings_dict['NAME']}")
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": url,
        "PYTHONUNBUFFERED": "1",
    }


def start_worker(pack: Path, env: dict[str, str], args: argparse.Namespace) -> subprocess.Popen:
    options = {  # the worker's own defaults where unset (--torch-threads 0: torch's default)
        "--torch-threads": str(args.torch_threads) if args.torch_threads else None,
        "--batch-size": None if args.batch_size is None else str(args.batch_size),
        "--batch-wait-ms": None if args.batch_wait_ms is None else str(args.batch_wait_ms),
    }
    given = [part for flag, value in options.items() if value is not None for part in (flag, value)]
    return bench_start_worker(
        [
            *("--model", MODEL_ID, "--model-dir", str(pack / "model")),
            *("--sae-dir", str(pack / "saes"), "--device", args.device),
            *("--model-dtype", args.dtype, "--sae-dtype", args.dtype, "--token-limit", "256"),
            "--no-default-queue",
            *given,
        ],
        pack / "worker.log",
        env,
    )


# -- measurements ------------------------------------------------------------------------------


def make_texts(tokenizer: Any, count: int, n_tokens: int, seed: int) -> list[str]:
    """Texts of exactly `n_tokens` tokens once the BOS token is added."""
    words_in_corpus = " ".join(CORPUS).replace(".", "").replace(",", "").split()
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        words: list[str] = []
        while len(tokenizer(" ".join(words))["input_ids"]) < n_tokens - 1:
            words.append(rng.choice(words_in_corpus))
        ids = tokenizer(" ".join(words))["input_ids"][: n_tokens - 1]
        texts.append(tokenizer.decode(ids))
    return texts


def post(url: str, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """The JSON answer, and the parts of its Server-Timing header."""
    from neuronpedia_site import timing

    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read()), timing.parse(response.headers["Server-Timing"] or "")


def timed(fn: Any, items: list[Any], concurrency: int = 1) -> float:
    started = time.perf_counter()
    if concurrency == 1:
        for item in items:
            fn(item)
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(fn, items))
    return time.perf_counter() - started


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo.extend(children.get(found[-1], []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (0 where /proc is missing)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.0


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine so far, all cores (Linux /proc/stat; 0 elsewhere)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def web_side(parts: list[dict[str, float]]) -> str:
    """The medians of the API requests' parts outside the worker call: each timed part, the
    rest of Django (`app` less its parts), and what lies outside Django (HTTP, gunicorn, the
    client: the request's total less `app`)."""
    if not parts or "app" not in parts[0]:
        return "no Server-Timing header (SERVER_TIMING is off)"
    names = [name for name in parts[0] if name not in ("app", "total", "worker")]
    rows = {name: [p.get(name, 0.0) for p in parts] for name in names}
    rows["rest of Django"] = [
        p["app"] - sum(v for k, v in p.items() if k not in ("app", "total")) for p in parts
    ]
    rows["outside Django"] = [p["total"] - p["app"] for p in parts]
    rows["(worker call, from the web)"] = [p.get("worker", 0.0) for p in parts]
    return ", ".join(f"{name} {statistics.median(v):.1f}" for name, v in rows.items()) + " ms"


def start_profilers(folder: Path | None, **pids: int) -> list[subprocess.Popen]:
    """py-spy sampling each process tree in `pids` into `folder/<name>.txt`, until stopped."""
    if folder is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            ["py-spy", "record", "--pid", str(pid), "--subprocesses", "--nonblocking"]
            + ["--rate", "250", "--format", "raw", "--output", str(folder / f"{name}.txt")],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        for name, pid in pids.items()
    ]


def run(
    args: argparse.Namespace,
    pack: Path,
    base: str,
    web: subprocess.Popen,
    worker: subprocess.Popen,
) -> None:
    from bus import client, task_names, wire
    from features.models import Activation, SavedSearch
    from workers import inference
    from workers.runtime import RuntimeConfig, ServedModel

    served = ServedModel(
        RuntimeConfig(
            model_id=MODEL_ID,
            model_dir=str(pack / "model"),
            sae_dirs=str(pack / "saes"),
            device=args.device,
            model_dtype=args.dtype,
            sae_dtype=args.dtype,
            token_limit=256,
        )
    )
    texts = make_texts(served.tokenizer, args.requests, args.tokens, seed=1)
    url = f"{base}/api/search-all/"

    def bare(text: str) -> None:
        inference.activations_all(served, text, SOURCE_SET, num_results=args.num_results)

    def bare_batched(chunk: list[str]) -> None:
        requests = [
            {"prompt": t, "source_set": SOURCE_SET, "num_results": args.num_results} for t in chunk
        ]
        inference.activations_all_many(served, requests)

    def worker_call(text: str) -> None:  # the Celery round trip alone, no web process
        request = {"prompt": text, "source_set": SOURCE_SET, "num_results": args.num_results}
        answer = client.call(
            task_names.ACTIVATIONS_ALL,
            {"model": MODEL_ID, "requests": [request]},
            f"inference.{MODEL_ID}",
            timeout=60,
        )
        wire.unpack_search(answer["results"])

    last_timing: list[dict[str, float]] = [{}]  # the latest API answer's Server-Timing parts

    def api(text: str) -> None:
        body, last_timing[0] = post(
            url,
            {
                "modelId": MODEL_ID,
                "sourceSet": SOURCE_SET,
                "text": text,
                "numResults": args.num_results,
            },
        )
        assert len(body["result"]) > 0, body

    upstream_lock = threading.Lock()

    def upstream_style(text: str) -> None:
        # Neuronpedia's inference server answers one request at a time behind a lock (its
        # ConcurrencyLimiter, in eager mode): the same call, serialised. In process, with no
        # HTTP or JSON, which favours it.
        with upstream_lock:
            bare(text)

    def same_answer(text: str) -> None:
        """The API's ranking equals the bare call's: (source, index, max value) in order."""
        expected = inference.activations_all(
            served, text, SOURCE_SET, num_results=args.num_results
        )["activations"]
        body, _ = post(
            url,
            {"modelId": MODEL_ID, "sourceSet": SOURCE_SET, "text": text,
             "numResults": args.num_results},
        )  # fmt: skip
        got = [(r["layer"], str(r["index"]), round(r["maxValue"], 3)) for r in body["result"]]
        want = [(a["source"], str(a["index"]), round(a["max_value"], 3)) for a in expected]
        if got != want:
            raise SystemExit(f"the API's answer differs from the bare call's:\n{got}\n{want}")

    def forget(expected: int = 0) -> None:  # so the same requests run the model again
        # The web process saves each search on a background thread after answering: wait for
        # the last saves to land, or one could arrive after the deletes and be replayed from
        # the cache in the next phase (without its activations, if they were deleted first).
        deadline = time.monotonic() + 30
        while SavedSearch.objects.count() < expected and time.monotonic() < deadline:
            time.sleep(0.02)
        SavedSearch.objects.all().delete()
        Activation.objects.all().delete()

    warm = make_texts(served.tokenizer, 4, args.tokens, seed=2)
    for text in warm:
        bare(text)
        api(text)
    # Concurrent, so that every thread of every web worker takes its share; distinct texts, so
    # that forget() can count one save each.
    threads = args.web_workers * WEB_THREADS
    more = make_texts(served.tokenizer, threads * WARM_PER_THREAD, args.tokens, seed=3)
    warm_threads = [text for text in dict.fromkeys(more) if text not in warm]
    timed(api, warm_threads, threads)
    forget(len(warm) + len(warm_threads))
    same_answer(texts[0])
    forget(1)
    print("the API's answer equals the bare call's (ranking and max values)", flush=True)

    chunks = [texts[i : i + args.concurrency] for i in range(0, len(texts), args.concurrency)]
    # The machine may be shared, so each comparison is made between measurements taken side by
    # side: every request runs bare and through the API back to back (paired latencies), and
    # each round times the serial and the concurrent phase one after the other.
    bare_ms: list[float] = []
    call_ms: list[float] = []
    api_ms: list[float] = []
    pair_ratios: list[float] = []
    rounds: list[dict[str, float]] = []
    concurrent_busy: list[tuple[float, float]] = []  # (machine CPU seconds, wall seconds)
    # CPU time per request, by process, in the serial phase: steadier than latencies on a
    # shared machine, and it says which process a fixed cost lives in. The web process does
    # nothing but the API requests (their saves included); the worker serves both the worker
    # round trips and the API requests, so it is read around each.
    web_pids, worker_pids = process_tree(web.pid), process_tree(worker.pid)
    cpu_ms: dict[str, list[float]] = {"bare": [], "worker_call": [], "worker_api": [], "web": []}
    web_parts: list[dict[str, float]] = []  # Server-Timing of each serial API request, + total
    profilers = start_profilers(args.profile, web=web.pid, worker=worker.pid)
    batched_serial = {"items": 0.0, "queued_ms": 0.0, "pass_ms": 0.0}  # the batcher's counters

    def batching() -> dict[str, Any]:
        return client.call(task_names.WORKER_STATUS, {}, f"inference.{MODEL_ID}", timeout=60)[
            "batching"
        ]

    for round_ in range(args.rounds):
        totals = {"bare": 0.0, "call_serial": 0.0, "api_serial": 0.0}
        batching_before = batching()
        web_started = cpu_seconds(web_pids)
        for text in texts:
            thread_cpu = time.thread_time()
            one = timed(bare, [text])
            cpu_ms["bare"].append((time.thread_time() - thread_cpu) * 1000)
            worker_cpu = cpu_seconds(worker_pids)
            call = timed(worker_call, [text])
            cpu_ms["worker_call"].append((cpu_seconds(worker_pids) - worker_cpu) * 1000)
            call_ms.append(call * 1000)
            totals["call_serial"] += call
            worker_cpu = cpu_seconds(worker_pids)
            other = timed(api, [text])
            web_parts.append({**last_timing[0], "total": other * 1000})
            cpu_ms["worker_api"].append((cpu_seconds(worker_pids) - worker_cpu) * 1000)
            bare_ms.append(one * 1000)
            api_ms.append(other * 1000)
            pair_ratios.append(other / one)
            totals["bare"] += one
            totals["api_serial"] += other
        batching_after = batching()
        for key in batched_serial:
            batched_serial[key] += batching_after[key] - batching_before[key]
        forget(len(texts))  # waits for the last saves, which the web CPU must include
        cpu_ms["web"].append((cpu_seconds(web_pids) - web_started) * 1000 / len(texts))
        totals["bare_batched"] = timed(bare_batched, chunks)
        totals["call_concurrent"] = timed(worker_call, texts, args.concurrency)
        busy = machine_cpu_seconds()
        totals["api_concurrent"] = timed(api, texts, args.concurrency)
        concurrent_busy.append((machine_cpu_seconds() - busy, totals["api_concurrent"]))
        totals["upstream_concurrent"] = timed(upstream_style, texts, args.concurrency)
        forget(len(texts))
        rounds.append(totals)
        print(
            f"round {round_ + 1}/{args.rounds}: "
            + ", ".join(f"{k} {v:.2f}s" for k, v in totals.items()),
            flush=True,
        )
    for profiler in profilers:  # on SIGINT py-spy writes what it sampled and exits
        profiler.send_signal(signal.SIGINT)
    for profiler in profilers:
        profiler.wait(60)

    n = args.requests
    batching_at_end = batching()

    def median_ratio(numerator: str, denominator: str) -> float:
        return statistics.median(r[numerator] / r[denominator] for r in rounds)

    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    print()
    print(
        f"search-all: {n} requests per round of {args.tokens} tokens, {args.layers} sources x "
        f"{args.d_sae} features, d_model {args.d_model}, top {args.num_results}; "
        f"{os.cpu_count()} CPUs, torch threads {args.torch_threads or 'default'}; "
        f"{args.rounds} rounds"
    )
    print(f"{'':36}{'median latency':>16}{'throughput':>14}")
    print(
        f"{'bare call, one at a time':36}{statistics.median(bare_ms):>13.1f} ms"
        f"{n / med['bare']:>10.2f} r/s"
    )
    batched = f"bare call, batches of {args.concurrency}"
    print(f"{batched:36}{'':>16}{n / med['bare_batched']:>10.2f} r/s")
    print(
        f"{'API, one at a time':36}{statistics.median(api_ms):>13.1f} ms"
        f"{n / med['api_serial']:>10.2f} r/s"
    )
    print(
        f"{f'API, {args.concurrency} concurrent':36}{'':>16}{n / med['api_concurrent']:>10.2f} r/s"
    )
    upstream = f"upstream-style, {args.concurrency} concurrent"
    print(f"{upstream:36}{'':>16}{n / med['upstream_concurrent']:>10.2f} r/s")
    print()
    print(
        f"API, {args.concurrency} concurrent vs Neuronpedia's way of serving the same model "
        f"(one request at a time behind a lock, in process): "
        f"{median_ratio('upstream_concurrent', 'api_concurrent'):.2f}x the throughput"
    )
    print()
    print(
        f"API overhead, one at a time: {statistics.median(pair_ratios):.2f}x the bare call "
        f"(median of {len(pair_ratios)} paired requests; "
        f"+{statistics.median(a - b for a, b in zip(api_ms, bare_ms, strict=True)):.0f} ms; "
        "goal <= 1.3x)"
    )
    bare_med, call_med = statistics.median(bare_ms), statistics.median(call_ms)
    print(
        f"  where it goes: worker round trip (Celery, Redis, batcher) "
        f"+{call_med - bare_med:.0f} ms, web side (HTTP, auth, DB joins, JSON) "
        f"+{statistics.median(api_ms) - call_med:.0f} ms (medians)"
    )
    print(f"  web side by part (medians, Server-Timing): {web_side(web_parts)}")
    queued, passed = (batched_serial[k] / batched_serial["items"] for k in ("queued_ms", "pass_ms"))
    print(
        f"  worker round trip by part (means): queued in the batcher {queued:.1f} ms, the pass "
        f"{passed:.1f} ms (bare call {statistics.fmean(bare_ms):.1f}), the rest (Celery, Redis, "
        f"packing, the reply) {statistics.fmean(call_ms) - queued - passed:.1f} ms"
    )
    mean = statistics.fmean
    print(
        f"  CPU per request (means, serial phase): bare call {mean(cpu_ms['bare']):.1f} ms; "
        f"worker process {mean(cpu_ms['worker_call']):.1f} ms for a worker round trip, "
        f"{mean(cpu_ms['worker_api']):.1f} ms for an API request; web process "
        f"{mean(cpu_ms['web']):.1f} ms (saves included)"
    )
    print(
        f"API throughput, {args.concurrency} concurrent vs one at a time: "
        f"{median_ratio('api_serial', 'api_concurrent'):.2f}x (goal >= 3x)"
    )
    busy, wall = (sum(x) for x in zip(*concurrent_busy, strict=True))
    print(
        f"  machine CPU per request while {args.concurrency} run concurrently: "
        f"{busy * 1000 / (n * args.rounds):.1f} ms, all processes (the {os.cpu_count()} cores "
        f"{100 * busy / wall / (os.cpu_count() or 1):.0f}% busy)"
    )
    print(
        f"  worker round trips alone, {args.concurrency} concurrent vs one at a time: "
        f"{median_ratio('call_serial', 'call_concurrent'):.2f}x (no web process)"
    )
    print(
        f"bare call, batches of {args.concurrency} vs one at a time: "
        f"{median_ratio('bare', 'bare_batched'):.2f}x (the batching gain in the model alone)"
    )
    print(
        f"worker batches (recent: the last 16 sizes, the concurrent phases last): {batching_at_end}"
    )


if __name__ == "__main__":
    main()
