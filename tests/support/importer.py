"""Helpers of the importer tests: the test bucket, a free local port, a quiet HTTP handler."""

from __future__ import annotations

import http.server
import socket
import time
from typing import Any

BUCKET = "neuronpedia-datasets"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def wait_for_job(job_id: int, timeout: float = 60) -> Any:
    """The job once it has finished (done, failed or cancelled) on the worker."""
    from importer.models import ImportJob

    deadline = time.monotonic() + timeout
    while (job := ImportJob.objects.get(pk=job_id)).state not in ("done", "failed", "cancelled"):
        assert time.monotonic() < deadline, f"job {job_id} still {job.state}"
        time.sleep(0.1)
    return job
