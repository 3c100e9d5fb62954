"""Where graph JSON files live: Django's storage API over a local directory by default, or an
S3-compatible bucket (django-storages) when `GRAPH_S3_BUCKET` is set. Keys are upstream's
layout, `user-graphs/{userId}/{slug}-{ms}.json`; this site serves them at `/graph-files/{key}`
(`graphs.files`), so a private bucket works and hidden models stay hidden."""

from __future__ import annotations

import json
import time
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage

USER_GRAPHS_DIR = "user-graphs"
ANONYMOUS_USER_ID = "anonymous"


def graph_storage() -> Storage:
    """The configured storage, read from settings on each call (tests switch them)."""
    if settings.GRAPH_S3_BUCKET:
        from storages.backends.s3 import S3Storage

        options: dict[str, Any] = {
            "bucket_name": settings.GRAPH_S3_BUCKET,
            "location": settings.GRAPH_S3_PREFIX,
            "region_name": settings.GRAPH_S3_REGION,
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
        }
        if settings.GRAPH_S3_ENDPOINT_URL:
            options["endpoint_url"] = settings.GRAPH_S3_ENDPOINT_URL
        if settings.GRAPH_S3_ACCESS_KEY_ID:
            options["access_key"] = settings.GRAPH_S3_ACCESS_KEY_ID
            options["secret_key"] = settings.GRAPH_S3_SECRET_ACCESS_KEY
        return S3Storage(**options)
    return FileSystemStorage(location=settings.GRAPH_LOCAL_DIR)


def new_key(user_id: str | None, name: str) -> str:
    """`user-graphs/{user or anonymous}/{name}-{epoch ms}.json`."""
    stem = name.removesuffix(".json")
    return f"{USER_GRAPHS_DIR}/{user_id or ANONYMOUS_USER_ID}/{stem}-{int(time.time() * 1000)}.json"


def save_json(key: str, graph: dict[str, Any]) -> str:
    """Store `graph` under `key`; the key the storage used."""
    data = json.dumps(graph, separators=(",", ":")).encode()
    return graph_storage().save(key, ContentFile(data))


def save_file(key: str, handle: IO[bytes]) -> str:
    return graph_storage().save(key, File(handle))


def open_file(key: str) -> IO[bytes]:
    return graph_storage().open(key, "rb")


def load_json(key: str) -> Any:
    with open_file(key) as handle:
        return json.load(handle)


def delete(key: str) -> None:
    if key:
        graph_storage().delete(key)


def public_url(key: str) -> str:
    """The URL this site serves the stored file at (`GraphMetadata.url`)."""
    return f"{settings.SITE_URL}/graph-files/{key}"
