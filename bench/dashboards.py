"""Dashboard generation speed against a bare forward + encode pass over the same corpus.

    python bench/dashboards.py [--source 1-res-demo] [--docs 20000] [--cores 1] [--rounds 3]

Runs the bundled demo model and SAE (no network, no database). Each round runs the bare pass
(read and tokenize the corpus, then model up to the SAE's hook and SAE encode, nothing kept) and
then the whole dashboards job over the same corpus, alternately, so both see the same machine
load; the median of each is reported, with the per-round ratios. "scan" is the job's pass over
the rows (forward, encode, streaming top-k, bins, histograms, checkpoints) against the bare
forward + encode alone; "end to end" is the whole job (corpus, scan, weight tables, writing the
export) against the whole bare pass. The job updates its statistics on a second thread beside
the forward pass (and writes its files on a thread), so a thread count alone would give it more
of the machine than the bare pass: the whole process is pinned to `--cores` cores (CPU affinity)
and torch gets as many intra-op threads, so both sides have the same cores whatever threads they
start. "Paired" times the statistics update in series, on its own. Peak memory is the process's
max RSS (torch's tensors included) and tracemalloc's peak of Python allocations in one more,
untimed run of the job (the export rows; tensors are not traced).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PACK = ROOT / "demo_pack" / "demo-lm"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="1-res-demo")
    parser.add_argument("--docs", type=int, default=20_000, help="demo corpus documents")
    parser.add_argument(
        "--cores", type=int, default=1, help="cores for the whole process (and torch threads)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-tokens", type=int, default=8192)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    args = parser.parse_args()

    import torch

    from workers.dashboard_stats import FeatureStats
    from workers.dashboards import (
        bare_pass,
        corpus_rows,
        encode_batch,
        generate_dashboards,
        load_served,
        plan_batches,
        synchronize,
    )
    from workers.demo.dashboards import demo_dashboard_config

    # The same cores for both sides: the job's extra threads share them with its forward pass.
    cores = sorted(os.sched_getaffinity(0))[: args.cores]
    os.sched_setaffinity(0, cores)
    torch.set_num_threads(len(cores))
    out = Path(tempfile.mkdtemp(prefix="bench-dashboards-"))
    config = demo_dashboard_config(
        PACK,
        args.source,
        out=str(out),
        max_docs=args.docs,
        batch_tokens=args.batch_tokens,
        force=True,
        checkpoint_seconds=30.0,
        device=args.device,
    )
    started = time.monotonic()
    served = load_served(config)
    _, rows = corpus_rows(served, config)
    ready = time.monotonic() - started
    threads = torch.get_num_threads()
    print(f"model + corpus ready in {ready:.1f} s: {rows.n_tokens:,} tokens in {rows.n_rows:,} "
          f"rows, {args.source}, {threads} torch thread(s) on cores {cores}, "
          f"{served.device}")  # fmt: skip
    bare_pass(served, args.source, rows, args.batch_tokens)  # warm-up (allocator, kernels)
    rss_before = _max_rss_mib()

    bare_runs: list[float] = []
    bare_scans: list[float] = []
    scans: list[float] = []
    e2es: list[float] = []
    for number in range(1, args.rounds + 1):
        bare_started = time.monotonic()
        _, rows = corpus_rows(served, config)  # the job reads and tokenizes the corpus too
        n_tokens, forward_encode = bare_pass(served, args.source, rows, args.batch_tokens)
        bare = time.monotonic() - bare_started
        job_started = time.monotonic()
        result = generate_dashboards(config, served=served, progress=False)
        end_to_end = time.monotonic() - job_started
        bare_runs.append(bare)
        bare_scans.append(forward_encode)
        scans.append(result.scan_seconds)
        e2es.append(end_to_end)
        scan_ratio, e2e_ratio = forward_encode / result.scan_seconds, bare / end_to_end
        print(f"round {number}: bare {n_tokens / forward_encode:,.0f} tok/s "
              f"({n_tokens / bare:,.0f} with the corpus), dashboards scan "
              f"{n_tokens / result.scan_seconds:,.0f} tok/s ({scan_ratio:.2f}x), "
              f"end to end {n_tokens / end_to_end:,.0f} tok/s ({e2e_ratio:.2f}x)")  # fmt: skip
    bare_best, bare_scan = statistics.median(bare_runs), statistics.median(bare_scans)
    scan_best, e2e_best = statistics.median(scans), statistics.median(e2es)

    # Paired, batch by batch: the same forward + encode timed alone and then with the update of
    # the statistics, so machine load (this box is shared) hits both sides equally.
    stats = FeatureStats(config.stats_config(served.d_sae(args.source)), device=str(served.device))
    forward_encode = update = 0.0
    for ids in plan_batches(rows, args.batch_tokens):
        t0 = time.perf_counter()
        feats, tokens, valid = encode_batch(served, args.source, rows, ids)
        synchronize(served)
        t1 = time.perf_counter()
        stats.update(feats, tokens, valid, ids.to(feats.device))
        synchronize(served)
        forward_encode += t1 - t0
        update += time.perf_counter() - t1
    rss_job = _max_rss_mib()
    # a separate, untimed run: tracing every allocation slows Python code down
    tracemalloc.start()
    generate_dashboards(config, served=served, progress=False)
    python_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    n = rows.n_tokens
    print()
    print(f"medians of {args.rounds} rounds, {len(cores)} core(s) for each side")
    print(f"bare forward+encode     {n / bare_scan:>10,.0f} tokens/s")
    print(f"bare, with the corpus   {n / bare_best:>10,.0f} tokens/s")
    print(f"dashboards (scan)       {n / scan_best:>10,.0f} tokens/s   "
          f"{bare_scan / scan_best:.2f}x of bare forward+encode (goal >= 0.70x)")  # fmt: skip
    paired = forward_encode / (forward_encode + update)
    print(f"paired per batch        {n / (forward_encode + update):>10,.0f} tokens/s   "
          f"{paired:.2f}x of the same batches' forward+encode ({update:.1f} s of statistics "
          f"in {forward_encode + update:.1f} s)")  # fmt: skip
    print(f"dashboards (end to end) {n / e2e_best:>10,.0f} tokens/s   "
          f"{bare_best / e2e_best:.2f}x of bare with the corpus (goal >= 0.70x)")  # fmt: skip
    print(f"examples written        {result.activations:>10,}   "
          f"({result.alive_features} features with examples)")  # fmt: skip
    print(f"peak RSS                {rss_job:>10,.0f} MiB   "
          f"(after the bare pass alone: {rss_before:,.0f} MiB)")  # fmt: skip
    print(f"tracemalloc peak        {python_peak / 2**20:>10,.1f} MiB   "
          "(Python objects in the job)")  # fmt: skip


def _max_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
