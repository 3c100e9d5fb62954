"""Where exports are read from: one reader interface over S3, http(s) and local directories.

A location string picks its reader by scheme (`s3://bucket/prefix`, `https://host/path`,
`http://...`, or a plain directory path / `file://`). Readers only list one level at a time
(like S3's delimiter listing) and open files as byte streams, so nothing is loaded whole.
Paths given to a reader are relative to its root and use `/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import unquote, urlsplit


class LocationError(Exception):
    """The location cannot be read (bad URL, missing directory, network or auth failure)."""

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient  # a network failure, not a missing or forbidden file


class LocationForbidden(LocationError):
    """A local directory outside the roots the admin panel may read."""


@dataclass(frozen=True)
class FileInfo:
    path: str  # relative to the reader's root
    size: int
    etag: str = ""


@dataclass
class Listing:
    """One level of a folder: its subfolder names and its files (never recursive)."""

    dirs: list[str] = field(default_factory=list)
    files: list[FileInfo] = field(default_factory=list)


@dataclass(frozen=True)
class ReaderOptions:
    endpoint_url: str = ""
    region: str = "us-east-1"
    access_key_id: str = ""
    secret_access_key: str = ""
    timeout: int = 60
    no_sign_request: bool = False  # S3: never sign, even when credentials are found


class ExportReader(Protocol):
    """What the importer needs from a store of exports."""

    location: str

    def list_dir(self, path: str) -> Listing:
        """Subfolders and files directly under `path` ("" is the root)."""
        ...

    def open(self, path: str) -> BinaryIO:
        """A readable byte stream of the file; the caller closes it."""
        ...


ReaderFactory = Callable[[str, ReaderOptions], ExportReader]
READERS: dict[str, ReaderFactory] = {}


def register_reader(scheme: str, factory: ReaderFactory) -> None:
    if scheme in READERS:
        raise ValueError(f"A reader for '{scheme}' is already registered.")
    READERS[scheme] = factory


def scheme_of(location: str) -> str:
    parts = urlsplit(location)
    # "C:\\exports" or "/data/exports" have no scheme (or a one-letter drive), both are paths
    return parts.scheme.lower() if len(parts.scheme) > 1 else "file"


def open_location(location: str, options: ReaderOptions | None = None) -> ExportReader:
    """The reader for `location`, e.g. `s3://neuronpedia-datasets/v1` or `/data/exports`."""
    register_builtin_readers()
    location = location.strip()
    if not location:
        raise LocationError("No location given: use s3://bucket/prefix, https://... or a path.")
    scheme = scheme_of(location)
    if scheme not in READERS:
        known = ", ".join(sorted(READERS))
        raise LocationError(f"Unknown location scheme '{scheme}://' (known: {known}).")
    return READERS[scheme](location, options or ReaderOptions())


def local_path(location: str) -> Path | None:
    """The directory a location names (resolved, symlinks followed), or None for a URL."""
    if scheme_of(location) != "file":
        return None
    path = unquote(urlsplit(location).path) if location.startswith("file://") else location
    return Path(path).expanduser().resolve()


def check_allowed_root(location: str, roots: list[Path]) -> None:
    """Refuse a local location outside `roots` (LocationForbidden); URLs pass."""
    path = local_path(location.strip())
    if path is None:
        return
    for root in roots:
        root = root.expanduser().resolve()
        if path == root or root in path.parents:
            return
    allowed = ", ".join(str(r) for r in roots) or "none"
    raise LocationForbidden(
        f"{location}: not under a directory the panel may read (IMPORT_LOCAL_ROOTS: {allowed})."
    )


def options_from_settings(endpoint_url: str = "", no_sign_request: bool = False) -> ReaderOptions:
    from django.conf import settings

    return ReaderOptions(
        no_sign_request=no_sign_request,
        endpoint_url=endpoint_url or settings.IMPORT_S3_ENDPOINT_URL,
        region=settings.IMPORT_S3_REGION,
        access_key_id=settings.IMPORT_S3_ACCESS_KEY_ID,
        secret_access_key=settings.IMPORT_S3_SECRET_ACCESS_KEY,
        timeout=settings.IMPORT_HTTP_TIMEOUT,
    )


def join(*parts: str) -> str:
    """Join relative paths with single slashes ("a/", "b" -> "a/b")."""
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


def register_builtin_readers() -> None:
    if READERS:
        return
    # Imported here so that `boto3` is only loaded by processes that read S3.
    from importer import directory, https, s3

    register_reader("s3", s3.S3Reader.from_location)
    register_reader("https", https.HttpReader.from_location)
    register_reader("http", https.HttpReader.from_location)
    register_reader("file", directory.DirectoryReader.from_location)
