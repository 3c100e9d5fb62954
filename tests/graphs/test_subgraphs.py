"""Saved subgraphs: save and overwrite your own, list yours, featured ones for anyone,
delete yours only."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from graphs import catalog, storage
from graphs.models import GraphMetadataSubgraph
from tests.support.accounts import Account
from tests.support.graphs import GRAPH_MODEL, make_graph

pytestmark = pytest.mark.django_db
KEY = {"modelId": GRAPH_MODEL, "slug": "cat-sat"}
SUBGRAPH = {
    **KEY,
    "displayName": "cats",
    "pinnedIds": ["0_3_3", "1_4_3"],
    "supernodes": [["cat things", "0_3_3", "1_4_3"]],
    "clerps": [["0_3_3", "a cat"]],
    "pruningThreshold": 0.6,
    "densityThreshold": None,
}


@pytest.fixture
def graph(alice: Account, graph_model: Any) -> Any:
    made = make_graph()
    return catalog.record(made, storage.save_json("g/cat.json", made), alice.user, "tc-demo")


def test_save_list_overwrite_and_delete(alice: Account, bob: Account, graph: Any) -> None:
    saved = alice.client().post("/api/graph/subgraph/save", SUBGRAPH, format="json").json()
    assert saved["success"] is True
    row = GraphMetadataSubgraph.objects.get(id=saved["subgraphId"])
    assert row.pinned_ids == ["0_3_3", "1_4_3"] and row.graph_metadata_id == graph.id
    assert row.supernodes == [["cat things", "0_3_3", "1_4_3"]]

    listed = alice.client().post("/api/graph/subgraph/list", KEY, format="json").json()
    assert [s["id"] for s in listed["subgraphs"]] == [row.id]
    assert listed["subgraphs"][0]["user"] == {"name": "alice", "id": alice.user.id}
    assert (
        bob.client().post("/api/graph/subgraph/list", KEY, format="json").json()["subgraphs"] == []
    )

    overwrite = {**SUBGRAPH, "pinnedIds": ["0_3_3"], "overwriteId": row.id}
    assert (
        bob.client().post("/api/graph/subgraph/save", overwrite, format="json").status_code == 403
    )
    assert alice.client().post("/api/graph/subgraph/save", overwrite, format="json").json() == {
        "success": True,
        "subgraphId": row.id,
    }
    row.refresh_from_db()
    assert row.pinned_ids == ["0_3_3"]

    gone = {"subgraphId": row.id}
    assert bob.client().post("/api/graph/subgraph/delete", gone, format="json").status_code == 403
    assert alice.client().post("/api/graph/subgraph/delete", gone, format="json").status_code == 200
    assert not GraphMetadataSubgraph.objects.exists()


def test_featured_subgraphs_are_listed_for_anyone(
    anon: APIClient, alice: Account, graph: Any
) -> None:
    saved = alice.client().post("/api/graph/subgraph/save", SUBGRAPH, format="json").json()
    assert anon.post("/api/graph/subgraph/list-featured", KEY, format="json").json() == {
        "success": True,
        "subgraphs": [],
    }
    GraphMetadataSubgraph.objects.filter(id=saved["subgraphId"]).update(is_featured_solution=True)
    featured = anon.post("/api/graph/subgraph/list-featured", KEY, format="json").json()
    assert [s["id"] for s in featured["subgraphs"]] == [saved["subgraphId"]]
    assert featured["subgraphs"][0]["user"] == {"name": "alice"}
    assert anon.post("/api/graph/subgraph/save", SUBGRAPH, format="json").status_code == 401
