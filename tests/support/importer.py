"""Helpers of the importer tests: the test bucket, a free local port, quiet and slow HTTP
servers, waiting for a job."""

from __future__ import annotations

import contextlib
import functools
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

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


BYTES_PER_SECOND = 250_000


SENT: dict[str, int] = {}  # bytes of each file the server got out before the reader stopped


class ThrottledHandler(QuietHandler):
    """Serves files at BYTES_PER_SECOND, as a slow network would."""

    def copyfile(self, source: IO[bytes], outputfile: IO[bytes]) -> None:  # type: ignore[override]
        piece = BYTES_PER_SECOND // 20
        SENT[self.path] = 0
        try:
            while block := source.read(piece):
                outputfile.write(block)
                outputfile.flush()
                SENT[self.path] += len(block)
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the reader went away: a cancel, or a killed worker


@contextlib.contextmanager
def serve_slowly(root: Path) -> Iterator[str]:
    """`root` over http on 127.0.0.1 at BYTES_PER_SECOND (a slow network): a file's COPY lasts
    seconds, long enough to cancel it or kill its worker in the middle."""
    handler = functools.partial(ThrottledHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
