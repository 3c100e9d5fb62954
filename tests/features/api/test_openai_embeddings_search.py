"""Explanation search with an operator-configured OpenAI-compatible embeddings endpoint: the
query goes through the `openai` client to a server on 127.0.0.1 started here, and the 256-d
embeddings imported with the explanations rank them as they are."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.support.factories import make_explanation, make_feature, make_model, make_source

pytestmark = pytest.mark.django_db

QUERY_VECTOR = [1.0] + [0.0] * 255


class EmbeddingsServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "body": body})
                answer: dict[str, Any]
                if server.status != 200:
                    answer = {"error": {"message": "overloaded", "type": "server_error"}}
                else:
                    answer = {
                        "object": "list",
                        "model": body["model"],
                        "data": [{"object": "embedding", "index": 0, "embedding": QUERY_VECTOR}],
                        "usage": {"prompt_tokens": 2, "total_tokens": 2},
                    }
                data = json.dumps(answer).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/v1"


@pytest.fixture
def endpoint(settings) -> Iterator[EmbeddingsServer]:
    server = EmbeddingsServer()
    thread = threading.Thread(target=server.http.serve_forever, daemon=True)
    thread.start()
    settings.EXPLANATION_EMBEDDINGS_BASE_URL = server.url
    settings.EXPLANATION_EMBEDDINGS_API_KEY = "sk-operator"
    yield server
    server.http.shutdown()


@pytest.fixture
def imported() -> None:
    """Explanations as imported from an export: with their OpenAI embeddings."""
    source = make_source(make_model("gpt2-small"), "6-res-jb")
    make_explanation(make_feature(source, 1), "terrible lizards", embedding=QUERY_VECTOR)
    make_explanation(make_feature(source, 2), "tax forms", embedding=[0.0, 1.0] + [0.0] * 254)
    make_explanation(make_feature(source, 3), "uploaded, no embedding")


def _search(client: APIClient, query: str) -> dict:
    response = client.post("/api/explanation/search-all", {"query": query}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_imported_embeddings_rank_the_query_embedded_by_the_endpoint(
    anon: APIClient, endpoint: EmbeddingsServer, imported: None
) -> None:
    body = _search(anon, "prehistoric reptiles")
    assert [r["description"] for r in body["results"]] == ["terrible lizards", "tax forms"]
    assert body["searchMethod"] == "hybrid"
    # No worker serves the embed queue here: the local ranking is missing, and said so.
    assert "run_worker --queues embed" in body["notice"]
    [request] = endpoint.requests
    assert request["path"] == "/v1/embeddings"
    assert request["body"] == {
        "model": "text-embedding-3-large",
        "input": "prehistoric reptiles",
        "dimensions": 256,
        "encoding_format": "float",
    }
    # The query's embedding is cached: the next page does not ask again.
    _search(anon, "prehistoric reptiles")
    assert len(endpoint.requests) == 1


def test_a_failing_endpoint_leaves_the_words(
    anon: APIClient, endpoint: EmbeddingsServer, imported: None
) -> None:
    endpoint.status = 503
    body = _search(anon, "tax")
    assert [r["description"] for r in body["results"]] == ["tax forms"]
    assert body["searchMethod"] == "fulltext"
    assert "The embeddings endpoint failed" in body["notice"]
