"""GET /api/graph/{modelId}/{slug}, /api/graph/list, list-owned and delete: owners only delete,
hidden models' graphs are invisible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from features.models import Visibility
from graphs import storage
from graphs.models import GraphMetadata
from tests.support.accounts import Account
from tests.support.graphs import GRAPH_MODEL, make_graph

pytestmark = pytest.mark.django_db


def _stored(user: Any, slug: str = "cat-sat", model_id: str = GRAPH_MODEL) -> GraphMetadata:
    from graphs import catalog

    graph = make_graph(model_id=model_id, slug=slug)
    key = storage.save_json(storage.new_key(user.id, slug), graph)
    return catalog.record(graph, key, user, "tc-demo")


def test_get_answers_upstreams_shape(anon: APIClient, alice: Account, graph_model: Any) -> None:
    row = _stored(alice.user)
    answer = anon.get(f"/api/graph/{GRAPH_MODEL}/cat-sat")
    assert answer.status_code == 200
    body = answer.json()
    assert body["id"] == row.id and body["modelId"] == GRAPH_MODEL and body["slug"] == "cat-sat"
    assert body["promptTokens"] == ["<bos>", "The", " cat", " sat"]
    assert body["titlePrefix"] == "" and body["isFeatured"] is False
    assert body["url"] == row.url and body["user"] == {"name": "alice", "id": alice.user.id}
    assert anon.get(f"/api/graph/{GRAPH_MODEL}/nope").status_code == 404


def test_lists_show_the_models_graphs_and_yours(
    anon: APIClient, alice: Account, bob: Account, graph_model: Any
) -> None:
    _stored(alice.user, "a-one")
    _stored(bob.user, "b-one")
    listed = anon.get("/api/graph/list", {"modelId": GRAPH_MODEL}).json()
    assert sorted(g["slug"] for g in listed) == ["a-one", "b-one"]
    owned = alice.client().post("/api/graph/list-owned").json()
    assert [g["slug"] for g in owned] == ["a-one"]
    assert anon.post("/api/graph/list-owned").status_code == 401


def test_only_the_owner_deletes_a_graph_and_its_file(
    alice: Account, bob: Account, graph_model: Any, graph_dir: Path
) -> None:
    row = _stored(alice.user)
    body = {"modelId": GRAPH_MODEL, "slug": "cat-sat"}
    answer = bob.client().post("/api/graph/delete", body, format="json")
    assert answer.status_code == 403
    assert GraphMetadata.objects.filter(id=row.id).exists()
    assert (graph_dir / row.storage_key).exists()
    assert alice.client().post("/api/graph/delete", body, format="json").status_code == 200
    assert not GraphMetadata.objects.filter(id=row.id).exists()
    assert not (graph_dir / row.storage_key).exists()
    assert alice.client().post("/api/graph/delete", body, format="json").status_code == 404


def test_graphs_of_a_hidden_model_are_invisible(
    anon: APIClient, alice: Account, bob: Account, graph_model: Any
) -> None:
    row = _stored(alice.user)
    graph_model.visibility = Visibility.PRIVATE
    graph_model.save()
    for client in (anon, bob.client()):
        assert client.get(f"/api/graph/{GRAPH_MODEL}/cat-sat").status_code == 404
        assert client.get("/api/graph/list", {"modelId": GRAPH_MODEL}).status_code == 404
        assert client.get(f"/graph-files/{row.storage_key}").status_code == 404
    # and gone from the owner's list while the model is hidden from them too
    assert alice.client().post("/api/graph/list-owned").json() == []
