"""With GRAPH_S3_BUCKET set, graph files go to that bucket (moto's S3 server here), through the
same upload and delete paths."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from rest_framework.test import APIClient

from tests.support.accounts import Account
from tests.support.graphs import GRAPH_MODEL, make_graph

pytestmark = pytest.mark.django_db
BUCKET = "np-graphs"


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[tuple[str, Any]]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=BUCKET)
    yield endpoint, client
    server.stop()


@pytest.fixture
def use_s3(settings: Any, moto_s3: tuple[str, Any]) -> Any:
    endpoint, client = moto_s3
    settings.GRAPH_S3_BUCKET = BUCKET
    settings.GRAPH_S3_PREFIX = "np"
    settings.GRAPH_S3_ENDPOINT_URL = endpoint
    settings.GRAPH_S3_ACCESS_KEY_ID = "test"
    settings.GRAPH_S3_SECRET_ACCESS_KEY = "test"
    return client


def test_an_upload_lands_in_the_bucket_and_delete_removes_it(
    alice: Account, graph_model: Any, use_s3: Any
) -> None:
    graph = make_graph()
    body = gzip.compress(json.dumps(graph).encode())
    slot = (
        alice.client()
        .post(
            "/api/graph/signed-put",
            {"filename": "cat-sat.json", "contentLength": len(body)},
            format="json",
        )
        .json()
    )
    url = urlsplit(slot["url"])
    put = APIClient().put(
        f"{url.path}?{url.query}",
        body,
        content_type="application/json",
        HTTP_CONTENT_ENCODING="gzip",
    )
    assert put.status_code == 200
    stored = use_s3.get_object(Bucket=BUCKET, Key=f"np/{slot['key']}")["Body"].read()
    assert json.loads(stored) == graph
    saved = alice.client().post(
        "/api/graph/save-to-db", {"putRequestId": slot["putRequestId"]}, format="json"
    )
    assert saved.status_code == 200
    served = APIClient().get(f"/graph-files/{slot['key']}")
    assert json.loads(served.getvalue()) == graph
    deleted = alice.client().post(
        "/api/graph/delete", {"modelId": GRAPH_MODEL, "slug": "cat-sat"}, format="json"
    )
    assert deleted.status_code == 200
    listed = use_s3.list_objects_v2(Bucket=BUCKET, Prefix="np/").get("Contents", [])
    assert listed == []
