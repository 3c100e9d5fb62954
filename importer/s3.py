"""Exports in S3 or an S3-compatible store (MinIO, R2, ...), read with boto3.

Credentials, in the order the aws CLI would pick them:
1. with `no_sign_request` (`--no-sign-request`, as in the aws CLI): none, unsigned requests;
2. `IMPORT_S3_ACCESS_KEY_ID` / `IMPORT_S3_SECRET_ACCESS_KEY` (keys for this store only);
3. boto3's credential chain: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE` and
   `~/.aws`, container and instance roles;
4. when the chain finds nothing: unsigned requests, which is how the public
   `neuronpedia-datasets` bucket is read.
The chain is looked up once per process (it may ask the instance metadata service, which
takes a second to time out off EC2); a worker picks up changed `AWS_*` variables on restart.
Listing uses `ListObjectsV2` with `Delimiter='/'`, one level at a time.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from importer.locations import FileInfo, Listing, LocationError, ReaderOptions, join


class S3Reader:
    def __init__(self, client: Any, bucket: str, prefix: str, location: str) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.location = location

    @classmethod
    def from_location(cls, location: str, options: ReaderOptions) -> S3Reader:
        parts = urlsplit(location)
        if not parts.netloc:
            raise LocationError(f"{location}: expected s3://bucket/prefix.")
        return cls(make_client(options), parts.netloc, parts.path, location)

    def _key(self, path: str) -> str:
        return join(self.prefix, path)

    def list_dir(self, path: str) -> Listing:
        base = self._key(path)
        prefix = f"{base}/" if base else ""
        listing = Listing()
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix, Delimiter="/"
            )
            for page in pages:
                for common in page.get("CommonPrefixes", []):
                    listing.dirs.append(common["Prefix"][len(prefix) :].strip("/"))
                for obj in page.get("Contents", []):
                    name = obj["Key"][len(prefix) :]
                    if name:  # the folder marker object itself
                        listing.files.append(
                            FileInfo(join(path, name), obj["Size"], obj.get("ETag", "").strip('"'))
                        )
        except Exception as exc:  # botocore raises many unrelated classes
            raise LocationError(f"{self.location}: cannot list {prefix or '/'}: {exc}") from exc
        return listing

    def open(self, path: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(path))["Body"]
        except ClientError as exc:  # the store answered: missing, forbidden, ...
            raise LocationError(f"{path}: {exc}") from exc
        except Exception as exc:  # connection trouble (botocore already retried)
            raise LocationError(f"{path}: {exc}", transient=True) from exc


_session_lock = threading.Lock()  # boto3 sessions are not thread-safe; their clients are


@functools.cache
def default_session() -> tuple[Any, bool]:
    """boto3's default session, and whether its credential chain found credentials."""
    import boto3

    session = boto3.session.Session()
    return session, session.get_credentials() is not None


def make_client(options: ReaderOptions) -> Any:
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    if options.no_sign_request:
        session, signed = boto3.session.Session(), False
    elif options.access_key_id and options.secret_access_key:
        session = boto3.session.Session(
            aws_access_key_id=options.access_key_id,
            aws_secret_access_key=options.secret_access_key,
        )
        signed = True
    else:  # the chain's credentials, if any (a role's refresh themselves)
        session, signed = default_session()
    config = Config(
        signature_version=None if signed else UNSIGNED,
        connect_timeout=options.timeout,
        read_timeout=options.timeout,
        retries={"max_attempts": 5, "mode": "standard"},
    )
    with _session_lock:
        return session.client(
            "s3",
            endpoint_url=options.endpoint_url or None,
            region_name=options.region or "us-east-1",
            config=config,
        )
