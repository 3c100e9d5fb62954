"""The official client (1.2.1, unmodified) reads features made by a dashboards run: the bundled
demo and an imported export. Their top examples carry SAEDashboard's sentinel
(`binMin = binContains = -1`), which the client's `Activation` rejects as a quantile fraction;
the API serves null there and the database keeps -1 (`features.activation_rows`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import neuronpedia
import pytest
import requests
from django.core.management import call_command
from neuronpedia.np_activation import Activation as ClientActivation
from neuronpedia.np_feature import Feature as ClientFeature
from neuronpedia.np_list import NPList, NPListItem
from neuronpedia.np_sae_feature import SAEFeature
from neuronpedia.requests.base_request import NPRequest

from features.models import Activation, Feature
from tests.support.demo_exports import PACK, SOURCE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(live_server: Any, monkeypatch: pytest.MonkeyPatch, alice: Any) -> Iterator[str]:
    monkeypatch.setattr(NPRequest, "BASE_URL", live_server.url + "/api")
    monkeypatch.delenv("NEURONPEDIA_API_KEY", raising=False)
    with neuronpedia.api_key(alice.key):
        yield live_server.url


def _every_feature_parses(url: str, model_id: str, layer: str) -> int:
    """Every feature of the source through `POST /api/features`, each activation parsed by the
    client's own `Activation.from_np_db_json`; returns how many activations it read."""
    indexes = list(
        Feature.objects.filter(model_id=model_id, layer=layer).values_list("index", flat=True)
    )
    parsed = 0
    for start in range(0, len(indexes), 250):
        body = [{"modelId": model_id, "layer": layer, "index": i} for i in indexes[start:][:250]]
        answer = requests.post(f"{url}/api/features", json=body, timeout=60)
        answer.raise_for_status()
        for feature in answer.json():
            parsed += len([ClientActivation.from_np_db_json(a) for a in feature["activations"]])
    return parsed


def _reads_with_the_client(model_id: str, layer: str, index: str) -> None:
    feature = ClientFeature.get(model_id, layer, int(index))
    assert (feature.modelId, feature.source, feature.index) == (model_id, layer, index)
    tops = [a for a in feature.activations or [] if a.quantileMin == -1]
    bins = [a for a in feature.activations or [] if a.quantileMin != -1]
    assert tops and bins, "a dashboards feature has top examples and quantile bins"
    assert {a.quantileFraction for a in tops} == {None}
    assert all(a.quantileFraction is not None and 0 < a.quantileFraction <= 1 for a in bins)
    # The stored rows keep the sentinel.
    stored = Activation.objects.filter(
        model_id=model_id, layer=layer, index=index, bin_min=-1
    ).values_list("bin_contains", flat=True)
    assert set(stored) == {-1}

    raw = json.loads(SAEFeature.get(model_id, layer, index).jsonData)
    assert raw["index"] == index and len(raw["activations"]) == len(feature.activations or [])

    created = NPList.new("from the dashboards")
    created.add_items([NPListItem(model_id, layer, index, "seen")])
    fetched = NPList.get(created.id)
    assert [(i.model_id, i.source, i.index) for i in fetched.items] == [(model_id, layer, index)]
    listed = requests.post(
        f"{NPRequest.BASE_URL}/list/get", json={"listId": created.id}, timeout=30
    ).json()
    for activation in listed["neurons"][0]["neuron"]["activations"]:
        ClientActivation.from_np_db_json(activation)


def test_the_client_reads_the_bundled_demo_features(api: str) -> None:
    call_command("load_demo")
    manifest = json.loads((PACK / "manifest.json").read_text())
    for topic in manifest["topic_features"].values():
        _reads_with_the_client("demo-lm", topic["recommended_source"], str(topic["index"]))
    for source in manifest["sources"]:
        assert _every_feature_parses(api, "demo-lm", source["id"]) > 20_000


def test_the_client_reads_an_imported_exports_features(
    api: str, small_export: tuple[Any, Any]
) -> None:
    config, _ = small_export
    call_command("import_source", "demo-lm", SOURCE, "--from", str(config.out), "--no-progress")
    alive = (
        Activation.objects.filter(model_id="demo-lm", layer=SOURCE, bin_min=-1)
        .values_list("index", flat=True)
        .first()
    )
    assert alive is not None
    _reads_with_the_client("demo-lm", SOURCE, alive)
    assert _every_feature_parses(api, "demo-lm", SOURCE) > 0
