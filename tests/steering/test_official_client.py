"""The official `neuronpedia` client (PyPI 1.2.1), unmodified, against a live server and a real
worker: create a vector, read it back equal, steer chat and completion with it, delete it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.conf import settings

from features.models import Feature
from tests.support.accounts import Account
from tests.support.steering import MODEL_ID
from tests.support.worker_processes import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)

# d_model 64; ints included, as the client's own sample vectors have them.
VALUES = [((i * 37) % 11 - 5) / 7 for i in range(60)] + [0, 1, -2, 0.3333333333333333]


@pytest.fixture
def client_at(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point the client at the live server. Its base URL is a class attribute; NPVector.get
    builds the vector's own url from USE_LOCALHOST."""
    from neuronpedia.requests.base_request import NPRequest

    monkeypatch.setenv("USE_LOCALHOST", "true")
    monkeypatch.setattr(NPRequest, "BASE_URL", live_server.url + "/api")
    yield live_server


def test_the_official_client_round_trips_a_vector_and_steers_with_it(
    client_at: Any, alice: Account, bob: Account, tiny_model: Any, steer_worker: WorkerProcess
) -> None:
    import neuronpedia
    from neuronpedia.np_vector import NPVector

    with neuronpedia.api_key(alice.key):
        vector = NPVector.new(
            label="tiny topic",
            model_id=MODEL_ID,
            layer_num=1,
            hook_type="hook_resid_pre",
            vector=VALUES,
            default_steer_strength=4,
        )
        assert vector.values == VALUES
        assert vector.source == "1-neuronpedia-resid-pre"
        assert vector.hook_name == "blocks.1.hook_resid_pre"
        assert vector.url == f"{settings.SITE_URL}/{MODEL_ID}/{vector.source}/{vector.index}"

        fetched = NPVector.get(MODEL_ID, vector.source, vector.index)
        assert fetched == vector
        assert fetched.values == VALUES  # exact, float for float
        assert NPVector.get_owned() == [vector]

        chat = vector.steer_chat([{"role": "user", "content": "tell me about the cat"}])
        for side in ("STEERED", "DEFAULT"):
            assert chat[side]["chatTemplate"][-1]["role"] == "assistant"
            assert chat[side]["chat_template"] == chat[side]["chatTemplate"]
        # The client always sends its default conversation as defaultChatMessages.
        assert chat["DEFAULT"]["chatTemplate"][0]["content"] == "Write a one sentence story."
        assert chat["STEERED"]["chatTemplate"][0]["content"] == "tell me about the cat"
        assert chat["shareUrl"] == f"{settings.SITE_URL}/steer/{chat['id']}"
        assert chat["settings"]["strength_multiplier"] == 4

        completion = vector.steer_completion("The cat sat on the mat.")
        assert isinstance(completion["STEERED"], str) and isinstance(completion["DEFAULT"], str)
        assert completion["STEERED"] != completion["DEFAULT"]
        assert completion["shareUrl"] == f"{settings.SITE_URL}/steer/{completion['id']}"

    with neuronpedia.api_key(bob.key):
        assert vector.delete() == {"message": "Success"}  # not bob's: nothing happens
        assert NPVector.get(MODEL_ID, vector.source, vector.index) == vector

    with neuronpedia.api_key(alice.key):
        assert vector.delete() == {"message": "Success"}
        with pytest.raises(requests.exceptions.HTTPError, match="404"):
            NPVector.get(MODEL_ID, vector.source, vector.index)
    assert not Feature.objects.filter(has_vector=True).exists()


def test_the_client_sees_validation_errors_as_http_errors(
    client_at: Any, alice: Account, tiny_model: Any
) -> None:
    import neuronpedia
    from neuronpedia.np_vector import NPVector

    # `match`, not `as info`: a kept traceback keeps the client's response, and with it the
    # live server's keep-alive thread and its database connection, open.
    with (
        neuronpedia.api_key(alice.key),
        pytest.raises(requests.exceptions.HTTPError, match="400.*dimension 64"),
    ):
        NPVector.new("short", MODEL_ID, 1, "hook_resid_pre", VALUES[:10], 4)
