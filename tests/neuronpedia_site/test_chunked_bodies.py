"""A request body sent with `Transfer-Encoding: chunked` and no Content-Length is read, through
gunicorn as `manage.py serve` runs it (gthread workers, `neuronpedia_site.wsgi`), over a raw
socket: Django alone would take it as an empty body."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator

import pytest
from django.conf import settings

from bench.web import free_port, start_gunicorn, stop

URL = "/api/explanation/search"


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    proc = start_gunicorn(port, env, workers=1, threads=2)
    yield port
    stop(proc)


def _chunked_post(port: int, body: bytes, chunk: int = 7) -> tuple[int, bytes]:
    """POST `body` in chunks of `chunk` bytes; the status and the answer's body."""
    head = (
        f"POST {URL} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + chunk]), body[i : i + chunk])
        for i in range(0, len(body), chunk)
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + chunks + b"0\r\n\r\n")
        answer = b""
        while part := sock.recv(65536):
            answer += part
    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, content = rest.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in headers.lower():
        content = _dechunk(content)
    return int(status_line.split()[1]), content


def _dechunk(data: bytes) -> bytes:
    out = b""
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return out
        out, data = out + data[:size], data[size + 2 :]


def test_a_chunked_body_is_read(server: int) -> None:
    body = json.dumps({"modelId": "gpt2-small", "layers": [], "query": "ab"}).encode()
    status, content = _chunked_post(server, body)
    assert status == 400
    # The view saw the body: only the too-short query is wrong (an empty body would name
    # every field as missing).
    assert json.loads(content)["error"] == "query: Ensure this field has at least 3 characters."


def test_a_chunked_body_over_the_upload_limit_is_a_413(server: int) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"query": "a" * (limit + 10)}).encode()
    status, content = _chunked_post(server, body, chunk=256 * 1024)
    assert status == 413
    assert json.loads(content)["error"] == f"The request body is larger than {limit} bytes."
