"""Helpers of the importer tests: the test bucket, a free local port, a quiet HTTP handler."""

from __future__ import annotations

import http.server
import socket
from typing import Any

BUCKET = "neuronpedia-datasets"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass
