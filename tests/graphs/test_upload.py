"""Upload in two steps: signed-put hands out a one-time URL on this site, the gzip PUT stores a
schema-valid graph, save-to-db records its row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from graphs.models import GraphMetadata, GraphMetadataDataPutRequest
from tests.support.accounts import Account
from tests.support.graphs import GRAPH_MODEL, gzipped, make_graph

pytestmark = pytest.mark.django_db


def _signed_put(account: Account, graph: dict[str, Any]) -> dict[str, Any]:
    body = {"filename": graph["metadata"]["slug"] + ".json", "contentLength": len(gzipped(graph))}
    answer = account.client().post("/api/graph/signed-put", body, format="json")
    assert answer.status_code == 200, answer.json()
    return answer.json()


def _put(url: str, body: bytes, gzip: bool = True) -> Any:
    parts = urlsplit(url)
    headers: dict[str, Any] = {"HTTP_CONTENT_ENCODING": "gzip"} if gzip else {}
    return APIClient().put(
        f"{parts.path}?{parts.query}", body, content_type="application/json", **headers
    )


def test_it_uploads_stores_and_records_a_graph(
    alice: Account, graph_model: Any, graph_dir: Path
) -> None:
    graph = make_graph()
    slot = _signed_put(alice, graph)
    assert slot["url"].startswith("http://") and "/api/graph/put/" in slot["url"]
    assert slot["key"].startswith(f"user-graphs/{alice.user.id}/cat-sat-")
    row = GraphMetadataDataPutRequest.objects.get(id=slot["putRequestId"])
    assert row.user_id == alice.user.id and row.token_hash and "token" not in row.url

    assert _put(slot["url"], gzipped(graph)).status_code == 200
    assert json.loads((graph_dir / slot["key"]).read_text()) == graph

    saved = alice.client().post(
        "/api/graph/save-to-db", {"putRequestId": slot["putRequestId"]}, format="json"
    )
    assert saved.status_code == 200
    assert saved.json()["url"].endswith(f"/{GRAPH_MODEL}/graph?slug=cat-sat")
    stored = GraphMetadata.objects.get(model_id=GRAPH_MODEL, slug="cat-sat")
    assert stored.user_id == alice.user.id
    assert stored.prompt_tokens == graph["metadata"]["prompt_tokens"]
    assert stored.source_set_name == "tc-demo"
    assert stored.url.endswith(f"/graph-files/{slot['key']}")
    served = APIClient().get(urlsplit(stored.url).path)
    assert served.status_code == 200
    assert json.loads(served.getvalue()) == graph


def test_the_upload_url_takes_one_put_only(alice: Account, graph_model: Any) -> None:
    graph = make_graph()
    slot = _signed_put(alice, graph)
    assert _put(slot["url"], gzipped(graph)).status_code == 200
    again = _put(slot["url"], gzipped(graph))
    assert again.status_code == 403
    assert "already used" in again.json()["message"]
    wrong = _signed_put(alice, graph)
    assert _put(wrong["url"].replace("token=", "token=x"), gzipped(graph)).status_code == 403


def test_an_invalid_graph_is_refused_naming_the_path(alice: Account, graph_model: Any) -> None:
    graph = make_graph()
    graph["nodes"][3]["layer"] = 3
    slot = _signed_put(alice, graph)
    answer = _put(slot["url"], gzipped(graph))
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("Invalid graph format: nodes[3].layer: 3 is not")
    del graph["metadata"]["scan"]
    slot = _signed_put(alice, graph)
    answer = _put(slot["url"], gzipped(graph))
    assert answer.status_code == 400
    assert "metadata: 'scan' is a required property" in answer.json()["message"]
    assert not GraphMetadata.objects.exists()


def test_a_body_that_is_not_gzip_or_inflates_too_far_is_refused(
    alice: Account, graph_model: Any, settings: Any
) -> None:
    graph = make_graph()
    slot = _signed_put(alice, graph)
    assert _put(slot["url"], b"not gzip at all").status_code == 400
    settings.GRAPH_UPLOAD_MAX_INFLATED_BYTES = 2000
    slot = _signed_put(alice, graph)
    answer = _put(slot["url"], gzipped(graph))
    assert answer.status_code == 413
    assert "inflates to more than 2000 bytes" in answer.json()["message"]


def test_signed_put_checks_the_caller_and_the_body(anon: APIClient, alice: Account) -> None:
    body = {"filename": "g.json", "contentLength": 5000}
    assert anon.post("/api/graph/signed-put", body, format="json").status_code == 401
    too_big = {"filename": "g.json", "contentLength": 100 * 1024 * 1024 + 1}
    assert alice.client().post("/api/graph/signed-put", too_big, format="json").status_code == 400
    not_json = {"filename": "g.txt", "contentLength": 5000}
    answer = alice.client().post("/api/graph/signed-put", not_json, format="json")
    assert answer.status_code == 400 and "must be .json" in answer.json()["message"]


def test_save_to_db_refuses_a_slug_another_user_owns(
    alice: Account, bob: Account, graph_model: Any
) -> None:
    graph = make_graph()
    slots = []
    for account, expected in ((alice, 200), (bob, 400)):
        slot = _signed_put(account, graph)
        slots.append(slot)
        assert _put(slot["url"], gzipped(graph)).status_code == 200
        saved = account.client().post(
            "/api/graph/save-to-db", {"putRequestId": slot["putRequestId"]}, format="json"
        )
        assert saved.status_code == expected
    assert GraphMetadata.objects.get(slug="cat-sat").user_id == alice.user.id
    # another user's put request is not yours to save
    answer = bob.client().post(
        "/api/graph/save-to-db", {"putRequestId": slots[0]["putRequestId"]}, format="json"
    )
    assert answer.status_code == 404
