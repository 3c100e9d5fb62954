"""Summarise check.sh's profile: where each process of the bench spent its CPU samples.

    python bench/device/profile_top.py profile.txt.gz [--top 25]

The input is py-spy's raw (folded) output with `--subprocesses`: one line per distinct stack,
`process <pid>:"<command>";...;process <pid>:"<command>";frame;...;frame <count>`, a child's
stack nested under its parents'. Each stack is charged to its innermost process; per process
this prints its share of all samples, then the frames with the most samples inclusive (any
frame on the stack) and self (the leaf).
"""

from __future__ import annotations

import argparse
import gzip
import re
from collections import Counter, defaultdict
from pathlib import Path

ROLES = [  # the first pattern the command line matches names the process
    ("worker", re.compile(r"run_worker|celery")),
    ("web", re.compile(r"gunicorn")),
    ("bench", re.compile(r"bench/")),
    ("postgres", re.compile(r"postgres")),
    ("redis", re.compile(r"redis")),
]


def role(command: str) -> str:
    return next((name for name, pattern in ROLES if pattern.search(command)), command[:40])


def read(path: Path) -> dict[str, tuple[Counter[str], Counter[str], int]]:
    """Per role: (inclusive samples per frame, self samples per frame, all samples)."""
    totals: dict[str, tuple[Counter[str], Counter[str], list[int]]] = defaultdict(
        lambda: (Counter(), Counter(), [0])
    )
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as lines:
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            frames = stack.split(";")
            last = max(i for i, frame in enumerate(frames) if frame.startswith("process "))
            inclusive, leaf, total = totals[role(frames[last])]
            samples = int(count)
            total[0] += samples
            for frame in set(frames[last + 1 :]):
                inclusive[frame] += samples
            if len(frames) > last + 1:
                leaf[frames[-1]] += samples
    return {name: (inc, own, total[0]) for name, (inc, own, total) in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    by_role = read(args.profile)
    everything = sum(total for _, _, total in by_role.values())
    for name, (inclusive, leaf, total) in sorted(by_role.items(), key=lambda r: -r[1][2]):
        print(f"\n== {name}: {total} samples, {100 * total / everything:.0f}% of all")
        for title, counter in (("inclusive", inclusive), ("self", leaf)):
            print(f"  -- {title}")
            for frame, samples in counter.most_common(args.top):
                print(f"  {100 * samples / total:5.1f}%  {frame[:150]}")


if __name__ == "__main__":
    main()
