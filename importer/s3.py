"""Exports in S3 or an S3-compatible store (MinIO, R2, ...), read with boto3.

Without credentials requests are unsigned, which is how the public `neuronpedia-datasets`
bucket is read. Listing uses `ListObjectsV2` with `Delimiter='/'`, one level at a time.
"""

from __future__ import annotations

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


def make_client(options: ReaderOptions) -> Any:
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    signed = bool(options.access_key_id and options.secret_access_key)
    config = Config(
        signature_version=None if signed else UNSIGNED,
        connect_timeout=options.timeout,
        read_timeout=options.timeout,
        retries={"max_attempts": 5, "mode": "standard"},
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=options.endpoint_url or None,
        region_name=options.region or "us-east-1",
        aws_access_key_id=options.access_key_id or None,
        aws_secret_access_key=options.secret_access_key or None,
        config=config,
    )
