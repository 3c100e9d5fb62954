"""The official `neuronpedia` client (PyPI), unmodified, against a live server:
NPGraphMetadata.upload, upload_file, get, list_owned and delete; generate once the graph worker
exists."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from graphs.models import GraphMetadata
from tests.support.accounts import Account
from tests.support.graphs import GRAPH_MODEL, make_graph, require_graph_tasks, write_graph_file
from tests.support.worker_processes import WorkerProcess, empty_redis_but_workers, spawn_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    empty_redis_but_workers()
    yield


@pytest.fixture
def client_at(live_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The client's base URL is a class attribute; the upload URL we hand out is SITE_URL's."""
    from neuronpedia.requests.base_request import NPRequest

    settings.SITE_URL = live_server.url
    monkeypatch.setenv("USE_LOCALHOST", "true")
    monkeypatch.setattr(NPRequest, "BASE_URL", live_server.url + "/api")
    return live_server


def test_the_client_uploads_lists_gets_and_deletes_graphs(
    client_at: Any, alice: Account, bob: Account, graph_model: Any, tmp_path: Path
) -> None:
    import neuronpedia
    from neuronpedia.np_graph_metadata import NPGraphMetadata

    first = make_graph(slug="client-one")
    second = make_graph(slug="client-two")
    with neuronpedia.api_key(alice.key):
        uploaded = NPGraphMetadata.upload(json.dumps(first))
        assert uploaded.model_id == GRAPH_MODEL and uploaded.slug == "client-one"
        assert uploaded.prompt_tokens == first["metadata"]["prompt_tokens"]
        assert uploaded.url == f"http://localhost:3000/{GRAPH_MODEL}/graph?slug=client-one"
        assert json.loads(requests.get(uploaded.json_url, timeout=10).text) == first

        from_file = NPGraphMetadata.upload_file(str(write_graph_file(tmp_path, second)))
        assert from_file.slug == "client-two"
        assert NPGraphMetadata.get(GRAPH_MODEL, "client-one") == uploaded
        assert sorted(g.slug for g in NPGraphMetadata.list_owned()) == ["client-one", "client-two"]

    with neuronpedia.api_key(bob.key):
        assert NPGraphMetadata.list_owned() == []
        with pytest.raises(requests.exceptions.HTTPError, match="403"):
            uploaded.delete()

    with neuronpedia.api_key(alice.key):
        assert uploaded.delete() == {"message": "Graph deleted successfully"}
        with pytest.raises(requests.exceptions.HTTPError, match="404"):
            NPGraphMetadata.get(GRAPH_MODEL, "client-one")
    assert list(GraphMetadata.objects.values_list("slug", flat=True)) == ["client-two"]


def test_the_client_sees_an_invalid_upload_refused(
    client_at: Any, alice: Account, graph_model: Any
) -> None:
    import neuronpedia
    from neuronpedia.np_graph_metadata import NPGraphMetadata

    graph = make_graph(slug="bad-one")
    graph["links"][2]["weight"] = "heavy"
    with (
        neuronpedia.api_key(alice.key),
        pytest.raises(ValueError, match=r"links\[2\].weight: 'heavy' is not of type 'number'"),
    ):
        NPGraphMetadata.upload(json.dumps(graph))
    assert not GraphMetadata.objects.exists()


@pytest.fixture
def demo_graph_worker(tmp_path: Path) -> Iterator[WorkerProcess]:
    require_graph_tasks()
    worker = spawn_worker(tmp_path, "--model", "demo-lm")
    yield worker
    worker.stop()


def test_the_client_generates_a_graph(
    client_at: Any, alice: Account, demo_graph_worker: WorkerProcess
) -> None:
    import neuronpedia
    from neuronpedia.np_graph_metadata import NPGraphMetadata

    from tests.support.factories import make_model

    make_model("demo-lm", layers=2, dimension=64)
    with neuronpedia.api_key(alice.key):
        made = NPGraphMetadata.generate("demo-lm", "The cat sat on the", "client-gen")
    assert made.slug == "client-gen" and made.model_id == "demo-lm"
    assert made.prompt_tokens and made.prompt
    graph = requests.get(made.json_url, timeout=10).json()
    assert graph["metadata"]["slug"] == "client-gen"
