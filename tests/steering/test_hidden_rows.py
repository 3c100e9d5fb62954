"""Steering never reveals a private model or source: steer, steer-chat, the share page of a
saved result and vector/get answer others as if the row did not exist (no worker is needed to
see that: the check comes before any worker is looked for)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from features.models import Visibility
from steering.plan import SteerFeature
from tests.support.accounts import Account
from tests.support.factories import make_feature, make_model, make_source
from tests.support.saved_steering import save_completion

pytestmark = pytest.mark.django_db

MESSAGES = [{"role": "user", "content": "hi"}]


def _feature(model_id: str, source: str) -> dict[str, Any]:
    return {"modelId": model_id, "layer": source, "index": "5", "strength": 10}


def _completion(model_id: str, source: str) -> dict[str, Any]:
    return {
        "modelId": model_id,
        "features": [_feature(model_id, source)],
        "prompt": "Once",
        "temperature": 0,
        "n_tokens": 4,
        "freq_penalty": 0,
        "seed": 16,
        "strength_multiplier": 1,
    }


def _chat(model_id: str, source: str) -> dict[str, Any]:
    body = _completion(model_id, source)
    del body["prompt"]
    return {
        **body,
        "defaultChatMessages": MESSAGES,
        "steeredChatMessages": MESSAGES,
        "steer_special_tokens": True,
    }


@pytest.fixture
def alices_rows(alice: Account) -> None:
    """A private model of alice's, and alice's private source on a public model."""
    private = make_model("alices", layers=4, dimension=8, visibility=Visibility.PRIVATE)
    private.creator = alice.user
    private.save()
    make_feature(make_source(private, "1-res-demo", creator=alice.user), 5)
    public = make_model("open-model", layers=4, dimension=8)
    hidden = make_source(public, "1-res-hid", visibility=Visibility.PRIVATE, creator=alice.user)
    make_feature(hidden, 5)
    hidden.model.source_sets.filter(name="res-hid").update(creator=alice.user)


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/steer/", _completion("alices", "1-res-demo")),
        ("/api/steer/", _completion("open-model", "1-res-hid")),
        ("/api/steer-chat/", _chat("alices", "1-res-demo")),
        ("/api/steer-chat/", _chat("open-model", "1-res-hid")),
    ],
    ids=[
        "steer-private-model",
        "steer-private-source",
        "chat-private-model",
        "chat-private-source",
    ],
)
def test_steering_a_hidden_row_is_a_404_for_others(
    url: str, body: dict[str, Any], alices_rows: None, bob: Account, anon: Any
) -> None:
    for client in (bob.client(), anon):
        response = client.post(url, body, format="json")
        assert response.status_code == 404, response.json()
        assert set(response.json()) >= {"error", "message"}


@pytest.mark.parametrize(
    ("model_id", "source"), [("alices", "1-res-demo"), ("open-model", "1-res-hid")]
)
def test_vector_get_of_a_hidden_latent_is_a_404_for_others(
    model_id: str, source: str, alices_rows: None, bob: Account, anon: Any
) -> None:
    body = {"modelId": model_id, "source": source, "index": 5}
    for client in (bob.client(), anon):
        assert client.post("/api/vector/get", body, format="json").status_code == 404


def test_the_share_page_of_a_result_on_a_hidden_model_is_a_404_for_others(
    alices_rows: None, alice: Account, bob: Account
) -> None:
    from features.models import Model

    model = Model.objects.get(id="alices")
    rows = save_completion(
        model, [SteerFeature("alices", "1-res-demo", "5", 10.0)], user=alice.user
    )
    url = f"/steer/{rows['STEERED'].id}"
    assert Client().get(url).status_code == 404
    bobs = Client()
    bobs.force_login(bob.user)
    assert bobs.get(url).status_code == 404
    owner = Client()
    owner.force_login(alice.user)
    assert owner.get(url).status_code == 200


def test_the_share_page_of_a_result_steering_a_hidden_source_is_a_404_for_others(
    alices_rows: None, alice: Account, bob: Account
) -> None:
    from features.models import Model

    model = Model.objects.get(id="open-model")
    rows = save_completion(
        model, [SteerFeature("open-model", "1-res-hid", "5", 10.0)], user=alice.user
    )
    url = f"/steer/{rows['STEERED'].id}"
    assert Client().get(url).status_code == 404
    owner = Client()
    owner.force_login(alice.user)
    assert owner.get(url).status_code == 200
