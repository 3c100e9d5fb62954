"""The processes the benchmarks measure: the web server (gunicorn with gthread workers, as
`manage.py serve` runs it, on a free loopback port) and `manage.py run_worker` workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(
    port: int,
    env: dict[str, str],
    workers: int,
    threads: int,
    extra: tuple[str, ...] = (),
    stdout: IO[str] | None = None,
) -> subprocess.Popen:
    """Start gunicorn in its own process group; return once `/api/health` answers."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "neuronpedia_site.wsgi:application",
            *("--bind", f"127.0.0.1:{port}", "--worker-class", "gthread"),
            *("--workers", str(workers), "--threads", str(threads)),
            *extra,
            *("--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout is not None else None,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                return proc
        except urllib.error.HTTPError:
            return proc  # it answers (health may say "degraded", e.g. no default-queue worker)
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop(proc)
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.3)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group, SIGKILL it if it is still there after 20 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def start_worker(
    options: list[str], log: Path, env: dict[str, str] | None = None, wait: float = 180
) -> subprocess.Popen:
    """`manage.py run_worker <options>` in its own process group, logging to `log`; return once
    it has announced itself in the worker registry."""
    from bus import registry

    hostname = f"bench-{uuid.uuid4().hex[:6]}@localhost"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "run_worker",
            *options,
            *("--hostname", hostname, "--loglevel", "WARNING"),
        ],
        cwd=ROOT,
        env={"PYTHONUNBUFFERED": "1", **(env or os.environ)},
        stdout=log.open("w"),  # the child keeps its own copy of the descriptor
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + wait
    while not any(w["hostname"] == hostname for w in registry.live_workers()):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise SystemExit(f"worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return proc
