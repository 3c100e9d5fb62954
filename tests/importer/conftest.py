"""Fixtures for the importer: a real S3 server (moto) and an HTTP server on 127.0.0.1, and
exports written in the bucket's exact format (`tests/support/exportgen.py`)."""

from __future__ import annotations

import functools
import http.server
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.exportgen import Export, upload, write_export
from tests.support.importer import BUCKET, QuietHandler
from tests.support.worker_processes import worker_database_url


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 server, as `moto_server -H 127.0.0.1`, for the whole session."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    # Port 0: the server binds a free port itself, so no other process can take it between a
    # free_port() probe and the bind.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def s3(moto_endpoint: str) -> Any:
    """A signed client for setting the store up (the importer itself reads unsigned)."""
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture(scope="session")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Export]:
    """The standard export: gpt2-small with two res-jb sources and one att source."""
    root = tmp_path_factory.mktemp("export")
    export = write_export(root, sources=("6-res-jb", "2-res-jb", "4-att-kk"))
    return root, export


@pytest.fixture(scope="session")
def s3_export(s3: Any, export_dir: tuple[Path, Export]) -> tuple[str, Export]:
    """The standard export in the bucket under v1/; returns its location."""
    root, export = export_dir
    upload(root, s3, BUCKET, "v1")
    return f"s3://{BUCKET}/v1", export


@pytest.fixture
def use_moto(settings: Any, moto_endpoint: str) -> str:
    """Point the importer's S3 reader at moto (as IMPORT_S3_ENDPOINT_URL would)."""
    settings.IMPORT_S3_ENDPOINT_URL = moto_endpoint
    return moto_endpoint


@pytest.fixture
def s3_prefix(
    s3: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[..., tuple[str, Path, Export]]:
    """Write an export (kwargs for write_export) to a fresh prefix; returns (location, dir,
    export). Tests that damage files use their own prefix."""
    counter = iter(range(1000))

    def make(**kwargs: Any) -> tuple[str, Path, Export]:
        name = f"{request.node.name[:40]}-{next(counter)}"
        root = tmp_path / name
        export = write_export(root, **kwargs)
        upload(root, s3, BUCKET, name)
        return f"s3://{BUCKET}/{name}", root, export

    return make


@pytest.fixture(scope="session")
def http_export(export_dir: tuple[Path, Export]) -> Iterator[str]:
    """The standard export behind `python -m http.server` (HTML directory listings)."""
    root, _ = export_dir
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def worker_env(moto_endpoint: str) -> dict[str, str]:
    """Environment for `start_worker`: the test database and moto as the S3 endpoint."""
    return {"DATABASE_URL": worker_database_url(), "IMPORT_S3_ENDPOINT_URL": moto_endpoint}


@pytest.fixture
def importer_worker(
    start_worker: Callable[..., Any], worker_env: dict[str, str], use_moto: str
) -> Any:
    """A real worker on the default queue, for the endpoints that hand jobs to one (tests using
    it commit their rows: `django_db(transaction=True)`)."""
    return start_worker(env=worker_env)
