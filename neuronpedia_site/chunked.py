"""Request bodies sent with `Transfer-Encoding: chunked` (no Content-Length).

gunicorn decodes the chunks and hands the body on as `wsgi.input`, but Django reads exactly
CONTENT_LENGTH bytes of it, and none when the header is missing: a chunked JSON body reached the
views as an empty one. This WSGI middleware reads such a body (at most one byte more than
DATA_UPLOAD_MAX_MEMORY_SIZE, enough for Django to answer 413) and hands Django the bytes with
their length.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
READ_SIZE = 64 * 1024


def _read(stream: Any, limit: int | None) -> bytes:
    parts: list[bytes] = []
    size = 0
    while limit is None or size < limit:
        part = stream.read(READ_SIZE if limit is None else min(READ_SIZE, limit - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


class ChunkedBodies:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            body = _read(environ["wsgi.input"], None if limit is None else limit + 1)
            environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        return self.app(environ, start_response)
