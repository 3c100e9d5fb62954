"""The official `neuronpedia` client (1.2.1), unmodified, against a live server.

`NPRequest.BASE_URL` is a class attribute read by every request class, so pointing it at the
live server reroutes the whole client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import neuronpedia
import pytest
import requests
from neuronpedia.np_activation import Activation
from neuronpedia.np_explanation import Explanation
from neuronpedia.np_feature import Feature, Logit
from neuronpedia.np_list import NPList, NPListItem
from neuronpedia.np_model import Model
from neuronpedia.np_sae_feature import SAEFeature
from neuronpedia.np_source_set import SourceSet
from neuronpedia.requests.base_request import NPRateLimitError, NPRequest, NPUnauthorizedError

from features.models import ExplanationType
from neuronpedia_format.users import BOT_USER_ID
from tests.support.factories import (
    make_activation,
    make_explanation,
    make_feature,
    make_model,
    make_source,
)

# The live server runs in a thread, so the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(live_server, monkeypatch, alice) -> Iterator[str]:
    """The client pointed at the live server, with alice's key."""
    monkeypatch.setattr(NPRequest, "BASE_URL", live_server.url + "/api")
    monkeypatch.delenv("NEURONPEDIA_API_KEY", raising=False)
    with neuronpedia.api_key(alice.key):
        yield live_server.url


@pytest.fixture
def dino() -> None:
    feature = make_feature(
        make_source(make_model("gpt2-small"), "6-res-jb"), 14057, frac_nonzero=0.002
    )
    make_activation(
        feature, [0.0, 3.5], ["The", " dinosaur"], creator_id=BOT_USER_ID, bin_contains=0.5
    )
    make_explanation(feature, "dinosaurs")


def test_sae_feature_get(api: str, dino: None) -> None:
    feature = SAEFeature.get("gpt2-small", "6-res-jb", "14057")
    assert (feature.modelId, feature.source, feature.index) == ("gpt2-small", "6-res-jb", "14057")
    assert json.loads(feature.jsonData)["activations"][0]["tokens"] == ["The", " dinosaur"]


def test_feature_get(api: str, dino: None) -> None:
    feature = Feature.get("gpt2-small", "6-res-jb", 14057)
    assert (feature.modelId, feature.source, feature.index, feature.density) == (
        "gpt2-small",
        "6-res-jb",
        "14057",
        0.002,
    )
    assert feature.explanations == [Explanation("gpt2-small", "6-res-jb", 14057, "dinosaurs")]
    assert feature.activations == [
        Activation(
            "gpt2-small", "6-res-jb", 14057, ["The", " dinosaur"], [0.0, 3.5], quantileFraction=0.5
        )
    ]


def test_missing_features_and_bad_keys_raise_the_clients_errors(api: str, dino: None) -> None:
    with pytest.raises(requests.exceptions.HTTPError, match="404"):
        SAEFeature.get("gpt2-small", "6-res-jb", "1")
    with neuronpedia.api_key("sk-np-wrong"), pytest.raises(NPUnauthorizedError):
        NPList.get_owned()


def test_lists(api: str, dino: None) -> None:
    created = NPList.new("Dinos", "big ones")
    assert (created.name, created.description, created.items) == ("Dinos", "big ones", [])
    created.add_items([NPListItem("gpt2-small", "6-res-jb", "14057", "roar")])
    assert [(i.model_id, i.source, i.index) for i in created.items] == [
        ("gpt2-small", "6-res-jb", "14057")
    ]
    fetched = NPList.get(created.id)
    assert (fetched.id, fetched.name) == (created.id, "Dinos")
    assert [(i.model_id, i.source, i.index) for i in fetched.items] == [
        ("gpt2-small", "6-res-jb", "14057")
    ]
    assert [owned.id for owned in NPList.get_owned()] == [created.id]


def test_bring_your_own_dashboards(api: str) -> None:
    ExplanationType.objects.create(name="human")
    model = Model.new("my-model", 2, display_name="Mine", url="https://example.com")
    assert (model.id, model.layers, model.display_name, model.url) == (
        "my-model",
        2,
        "Mine",
        "https://example.com",
    )
    source_set = SourceSet.new(
        "my-saes", "my-model", description="SAEs", url="https://example.com/saes"
    )
    assert source_set.url == "https://example.com/saes"
    source = source_set.get_source_for_layer_number(1)
    assert source.id == "1-my-saes"
    fetched = SourceSet.get("my-model", "my-saes")
    assert [s.id for s in fetched.sources] == ["0-my-saes", "1-my-saes"]
    upload = Feature(
        modelId="my-model",
        source="1-my-saes",
        index=7,
        density=0.01,
        top_logits=[Logit(" yes", 1.5)],
        explanations=[Explanation("my-model", "1-my-saes", 7, "agreement", method="human")],
        activations=[
            Activation("my-model", "1-my-saes", 7, ["a", " yes"], [0.1, 2.0], quantileFraction=0.2)
        ],
    )
    assert source.upload_batch([upload]) == {"message": "1 features created."}
    feature = Feature.get("my-model", "1-my-saes", 7)
    assert feature.density == 0.01
    assert [e.text for e in feature.explanations] == ["agreement"]
    assert [a.values for a in feature.activations] == [[0.1, 2.0]]


def test_rate_limits_raise_the_clients_error(api: str) -> None:
    for i in range(5):
        Model.new(f"model-{i}", 1)
    with pytest.raises(NPRateLimitError):
        Model.new("model-5", 1)
