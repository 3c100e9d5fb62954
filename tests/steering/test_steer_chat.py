"""POST /api/steer-chat/: chat steering through a real worker (ChatML fallback template)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from steering.models import SteerOutput
from tests.support.steering import MODEL_ID, sse_frames, streamed
from tests.support.worker_processes import WorkerProcess

pytestmark = pytest.mark.django_db

URL = "/api/steer-chat/"
MESSAGES = [{"role": "user", "content": "tell me about the cat"}]
FEATURE = {"modelId": MODEL_ID, "layer": "1-res-demo", "index": "4", "strength": 80}
RENDERED = "<|endoftext|><|im_start|>user\ntell me about the cat<|im_end|>\n<|im_start|>assistant\n"


def _body(**overrides: Any) -> dict[str, Any]:
    body = {
        "modelId": MODEL_ID,
        "features": [FEATURE],
        "defaultChatMessages": MESSAGES,
        "steeredChatMessages": MESSAGES,
        "temperature": 0,
        "n_tokens": 8,
        "freq_penalty": 0,
        "seed": 16,
        "strength_multiplier": 1,
        "steer_special_tokens": True,
    }
    return {**body, **overrides}


def test_it_replies_on_both_sides_in_neuronpedias_shape(
    api: APIClient, tiny_model: Any, steer_worker: WorkerProcess
) -> None:
    response = api.post(URL, _body(), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    for side in ("STEERED", "DEFAULT"):
        result = body[side]
        assert set(result) == {"raw", "chatTemplate", "chat_template", "logprobs"}
        assert result["chatTemplate"] == result["chat_template"]
        *history, reply = result["chatTemplate"]
        assert history == MESSAGES and reply["role"] == "assistant"
        assert result["raw"] == RENDERED + reply["content"]
        assert set(result["logprobs"][0]) == {"token", "logprob", "topLogprobs"}
    assert body["STEERED"]["raw"] != body["DEFAULT"]["raw"]
    assert body["settings"]["steer_special_tokens"] is True
    steered = SteerOutput.objects.get(id=body["id"])
    assert body["shareUrl"] == f"{settings.SITE_URL}/steer/{steered.id}"
    normalised = '[{"content":"tell me about the cat","role":"user"}]'
    assert steered.input_text_chat_template == normalised
    assert steered.input_text_chat_template_md5 == hashlib.md5(normalised.encode()).hexdigest()
    assert steered.input_text == RENDERED and steered.input_text_md5 is None
    assert steered.output_text == body["STEERED"]["raw"]
    assert json.loads(steered.output_text_chat_template) == body["STEERED"]["chatTemplate"]
    assert steered.steer_special_tokens is True
    assert steered.connected_default_output.output_text == body["DEFAULT"]["raw"]


def test_each_side_continues_its_own_conversation(
    api: APIClient, tiny_model: Any, steer_worker: WorkerProcess
) -> None:
    steered_history = [
        *MESSAGES,
        {"role": "assistant", "content": "the cat sat"},
        {"role": "user", "content": "and the dog?"},
    ]
    body = api.post(URL, _body(steeredChatMessages=steered_history), format="json").json()
    assert body["DEFAULT"]["chatTemplate"][:-1] == MESSAGES
    assert body["STEERED"]["chatTemplate"][:-1] == steered_history
    assert body["STEERED"]["raw"].startswith(
        "<|endoftext|><|im_start|>user\ntell me about the cat<|im_end|>\n"
        "<|im_start|>assistant\nthe cat sat<|im_end|>\n<|im_start|>user\nand the dog?<|im_end|>\n"
    )


def test_a_repeat_is_answered_from_the_database_whatever_the_key_order(
    api: APIClient, tiny_model: Any, steer_worker: WorkerProcess
) -> None:
    first = api.post(URL, _body(), format="json").json()
    reordered = [{"content": m["content"], "role": m["role"]} for m in MESSAGES]
    again = api.post(
        URL, _body(defaultChatMessages=reordered, steeredChatMessages=reordered), format="json"
    ).json()
    assert int(again.pop("limit")) == int(first.pop("limit")) - 1
    assert again == first
    assert SteerOutput.objects.count() == 2
    # steer_special_tokens is part of the key.
    other = api.post(URL, _body(steer_special_tokens=False), format="json").json()
    assert other["id"] != first["id"]
    assert SteerOutput.objects.count() == 4


def test_without_features_only_default_runs(
    api: APIClient, tiny_model: Any, steer_worker: WorkerProcess
) -> None:
    body = api.post(URL, _body(features=[]), format="json").json()
    assert body["STEERED"] is None
    assert SteerOutput.objects.get(id=body["id"]).type == "DEFAULT"


def test_it_streams_cumulative_frames(
    api: APIClient, tiny_model: Any, steer_worker: WorkerProcess
) -> None:
    response = api.post(URL, _body(n_tokens=16, stream=True), format="json")
    assert response["Content-Type"] == "text/event-stream"
    frames = sse_frames(streamed(response))
    assert len(frames) >= 3
    for earlier, later in zip(frames, frames[1:], strict=False):
        for side in ("STEERED", "DEFAULT"):
            assert later[side]["raw"].startswith(earlier[side]["raw"])
            assert later[side]["chatTemplate"][-1]["content"].startswith(
                earlier[side]["chatTemplate"][-1]["content"]
            )
    assert all(f["id"] is None for f in frames[:-1])
    assert frames[-1]["shareUrl"] == f"{settings.SITE_URL}/steer/{frames[-1]['id']}"


def test_streaming_separate_conversations_carries_both_sides_in_every_frame(
    api: APIClient, tiny_model: Any, steer_worker: WorkerProcess
) -> None:
    steered_history = [{"role": "user", "content": "and the dog?"}]
    frames = sse_frames(
        streamed(
            api.post(URL, _body(steeredChatMessages=steered_history, stream=True), format="json")
        )
    )
    for frame in frames:
        assert frame["STEERED"]["chatTemplate"][0] == steered_history[0]
        assert frame["DEFAULT"]["chatTemplate"][0] == MESSAGES[0]
    assert frames[-1]["id"] is not None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"defaultChatMessages": [{"role": "robot", "content": "hi"}]}, "role"),
        ({"steeredChatMessages": []}, "steeredChatMessages"),
        ({"steeredChatMessages": [{"role": "user", "content": "x" * 2049}]}, "limit is 2048"),
        (
            {"defaultChatMessages": [{"role": "user", "content": "x" * 1500}] * 2},
            "Messages total 3000 characters",
        ),
        ({"steer_special_tokens": None}, "steer_special_tokens"),
        ({"n_tokens": 257}, "n_tokens: Must be at most 256"),
        ({"isAssistantAxis": True}, "assistant axis"),
        ({"features": [{**FEATURE, "strength": -400}]}, "strength"),
    ],
)
def test_it_rejects_bad_requests(
    api: APIClient, tiny_model: Any, overrides: dict[str, Any], message: str
) -> None:
    body = {k: v for k, v in _body(**overrides).items() if v is not None}
    response = api.post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert message in response.json()["message"]
