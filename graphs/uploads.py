"""Uploading a graph file in two steps, as the official client does (upstream's signed-put):

1. `signed-put` hands out a one-time upload slot: a `GraphMetadataDataPutRequest` row and a URL
   on this site carrying a random token (only its SHA-256 is stored).
2. The client PUTs the gzip body there (`Content-Encoding: gzip`); `receive_put` streams it
   through a bounded inflate into a temporary file, checks the JSON against the schema and
   stores it. The token is spent by the first PUT, good or bad.
3. `save-to-db` reads the stored graph back and records its GraphMetadata row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import tempfile
import zlib
from datetime import timedelta
from typing import IO, Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from graphs import catalog, schema_check, storage
from graphs.models import GraphMetadata, GraphMetadataDataPutRequest
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

MIN_CONTENT_LENGTH = 1024  # upstream's lower bound for contentLength
MAX_PUT_REQUESTS_PER_DAY = 200  # per IP, as upstream
TOKEN_LIFETIME = timedelta(hours=1)  # upstream's presigned URLs last an hour
CHUNK = 64 * 1024
BAD_TOKEN = "This upload URL is invalid, expired or already used."


class Readable(Protocol):
    """A request body (Django's HttpRequest reads like a file) or any binary file."""

    def read(self, size: int = ..., /) -> bytes: ...


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_put_request(user: User, ip: str, filename: str) -> dict[str, Any]:
    """`{url, key, putRequestId}` for one upload; 429 past upstream's daily count per IP."""
    if not filename.endswith(".json"):
        raise ApiError("Invalid file extension - must be .json")
    since = timezone.now() - timedelta(days=1)
    if (
        GraphMetadataDataPutRequest.objects.filter(ip_address=ip, created_at__gte=since).count()
        >= MAX_PUT_REQUESTS_PER_DAY
    ):
        raise ApiError(
            f"Too many put requests today. The maximum is {MAX_PUT_REQUESTS_PER_DAY}.", status=429
        )
    token = secrets.token_urlsafe(32)
    key = storage.new_key(user.id, filename)
    row = GraphMetadataDataPutRequest.objects.create(
        user=user,
        ip_address=ip,
        filename=filename,
        url="",
        token_hash=_hash(token),
        storage_key=key,
    )
    row.url = f"{settings.SITE_URL}/api/graph/put/{row.id}"
    row.save(update_fields=["url"])
    return {"url": f"{row.url}?token={token}", "key": key, "putRequestId": row.id}


def _claim(put_request_id: str, token: str) -> GraphMetadataDataPutRequest:
    """Spend the slot's token (once, within its hour), or 403."""
    with transaction.atomic():
        row = (
            GraphMetadataDataPutRequest.objects.select_for_update()
            .filter(id=put_request_id)
            .first()
        )
        if (
            row is None
            or not token
            or not hmac.compare_digest(row.token_hash, _hash(token))
            or row.uploaded_at is not None
            or row.created_at < timezone.now() - TOKEN_LIFETIME
        ):
            raise ApiError(BAD_TOKEN, status=403)
        row.uploaded_at = timezone.now()
        row.save(update_fields=["uploaded_at"])
    return row


def inflate_to(source: Readable, target: IO[bytes], gzipped: bool) -> int:
    """Copy `source` to `target`, gunzipping when `gzipped`, refusing (413) more than
    GRAPH_UPLOAD_MAX_BYTES in or GRAPH_UPLOAD_MAX_INFLATED_BYTES out; bytes written."""
    limit_in, limit_out = settings.GRAPH_UPLOAD_MAX_BYTES, settings.GRAPH_UPLOAD_MAX_INFLATED_BYTES
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
    read = written = 0
    while chunk := source.read(CHUNK):
        read += len(chunk)
        if read > limit_in:
            raise ApiError(f"The upload is larger than {limit_in} bytes.", status=413)
        pending = chunk
        while pending:
            if inflater is None:
                out, pending = pending, b""
            else:
                try:
                    out = inflater.decompress(pending, CHUNK)
                except zlib.error as exc:
                    raise ApiError(f"The body is not valid gzip: {exc}") from exc
                pending = inflater.unconsumed_tail
            written += len(out)
            if written > limit_out:
                raise ApiError(f"The graph inflates to more than {limit_out} bytes.", status=413)
            target.write(out)
    if inflater is not None and not inflater.eof:
        raise ApiError("The gzip body is truncated.")
    return written


def receive_put(
    put_request_id: str, token: str, body: Readable, content_length: int, gzipped: bool
) -> None:
    """Store the PUT body of an upload slot once it inflates to a schema-valid graph."""
    if content_length > settings.GRAPH_UPLOAD_MAX_BYTES:
        raise ApiError(
            f"The upload is larger than {settings.GRAPH_UPLOAD_MAX_BYTES} bytes.", status=413
        )
    row = _claim(put_request_id, token)
    with tempfile.TemporaryFile() as spool:
        inflate_to(body, spool, gzipped)
        spool.seek(0)
        try:
            graph = json.load(spool)
        except (ValueError, RecursionError) as exc:
            raise ApiError(f"The body is not JSON: {exc}") from exc
        schema_check.check_graph(graph)
        spool.seek(0)
        row.storage_key = storage.save_file(row.storage_key, spool)
    row.save(update_fields=["storage_key"])


def save_to_db(user: User, put_request_id: str) -> GraphMetadata:
    """Record the graph an upload slot of the caller's stored (upstream's save-to-db)."""
    row = GraphMetadataDataPutRequest.objects.filter(id=put_request_id, user=user).first()
    if row is None:
        raise ApiError("Put request not found", status=404)
    if row.uploaded_at is None or not storage.graph_storage().exists(row.storage_key):
        raise ApiError("Nothing was uploaded for this put request yet.")
    graph = schema_check.check_graph(storage.load_json(row.storage_key))
    return catalog.record(graph, row.storage_key, user, catalog.source_set_of_graph(graph))
