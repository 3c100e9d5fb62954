"""/v1/steer/completion and /v1/steer/completion-chat: the inference server's contract."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from steering.models import SteerOutput
from tests.support.steering import MODEL_ID, sse_frames, streamed
from tests.support.worker_processes import WorkerProcess

pytestmark = pytest.mark.django_db

COMPLETION = "/v1/steer/completion"
CHAT = "/v1/steer/completion-chat"
PROMPT = "The cat sat on the mat."


def _body(**overrides: Any) -> dict[str, Any]:
    body = {
        "prompt": PROMPT,
        "model": MODEL_ID,
        "steer_method": "SIMPLE_ADDITIVE",
        "normalize_steering": False,
        "types": ["STEERED", "DEFAULT"],
        "features": [{"model": MODEL_ID, "source": "1-res-demo", "index": 4, "strength": 80}],
        "n_completion_tokens": 8,
        "temperature": 0,
        "strength_multiplier": 1,
        "freq_penalty": 0,
        "seed": 42,
    }
    return {**body, **overrides}


def test_completion_answers_outputs_without_unset_logprobs(
    api: APIClient, steer_worker: WorkerProcess
) -> None:
    response = api.post(COMPLETION, _body(types=["DEFAULT", "STEERED"]), format="json")
    assert response.status_code == 200, response.json()
    outputs = response.json()["outputs"]
    assert [o["type"] for o in outputs] == ["DEFAULT", "STEERED"]
    assert all(set(o) == {"type", "output"} for o in outputs)
    assert outputs[0]["output"] != outputs[1]["output"]
    assert not SteerOutput.objects.exists()  # /v1 neither reads nor writes the cache


def test_completion_with_vectors_and_logprobs(api: APIClient, steer_worker: WorkerProcess) -> None:
    vector = {"steering_vector": [0.5] * 64, "strength": 4, "hook": "blocks.0.hook_resid_pre"}
    body = _body(features=None, vectors=[vector], n_logprobs=2, types=["STEERED"])
    response = api.post(COMPLETION, {k: v for k, v in body.items() if v is not None}, format="json")
    assert response.status_code == 200, response.json()
    [output] = response.json()["outputs"]
    assert output["type"] == "STEERED"
    assert len(output["logprobs"][0]["top_logprobs"]) == 2


def test_chat_answers_chat_results_and_the_input(
    api: APIClient, steer_worker: WorkerProcess
) -> None:
    messages = [{"content": "tell me about the cat", "role": "user"}]
    response = api.post(CHAT, _body(prompt=messages, steer_special_tokens=False), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    rendered = (
        "<|endoftext|><|im_start|>user\ntell me about the cat<|im_end|>\n<|im_start|>assistant\n"
    )
    assert body["input"] == {
        "raw": rendered,
        "chat_template": [{"role": "user", "content": "tell me about the cat"}],
    }
    for output in body["outputs"]:
        assert set(output) == {"type", "raw", "chat_template"}
        assert output["raw"] == rendered + output["chat_template"][-1]["content"]


def test_streaming_frames_are_cumulative(api: APIClient, steer_worker: WorkerProcess) -> None:
    response = api.post(COMPLETION, _body(n_completion_tokens=12, stream=True), format="json")
    assert response["Content-Type"] == "text/event-stream"
    frames = sse_frames(streamed(response))
    assert len(frames) >= 3
    for earlier, later in zip(frames, frames[1:], strict=False):
        for a, b in zip(earlier["outputs"], later["outputs"], strict=True):
            assert b["output"].startswith(a["output"])
    whole = api.post(COMPLETION, _body(n_completion_tokens=12), format="json").json()
    assert frames[-1] == whole


def test_worker_errors_keep_their_status(api: APIClient, steer_worker: WorkerProcess) -> None:
    unknown = _body(features=[{"source": "9-nope", "index": 1, "strength": 1}])
    assert api.post(COMPLETION, unknown, format="json").status_code == 404
    wrong_length = _body(
        features=None,
        vectors=[{"steering_vector": [1.0] * 3, "strength": 1, "hook": "blocks.0.hook_resid_pre"}],
    )
    response = api.post(
        COMPLETION, {k: v for k, v in wrong_length.items() if v is not None}, format="json"
    )
    assert response.status_code == 400
    assert "3 values" in response.json()["error"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"types": []}, "types"),
        ({"types": ["STEERED", "STEERED"]}, "types"),
        ({"types": ["BOTH"]}, "types"),
        ({"vectors": [{"steering_vector": [1.0], "strength": 1, "hook": "h"}]}, "not both"),
        ({"n_completion_tokens": 0}, "n_completion_tokens"),
        ({"temperature": -1}, "temperature"),
        ({"n_logprobs": 11}, "n_logprobs"),
        ({"steer_method": "PROJECTION_CAP"}, "not supported"),
        ({"seed": None}, "seed"),
    ],
)
def test_bad_requests_are_400(api: APIClient, overrides: dict[str, Any], message: str) -> None:
    body = {k: v for k, v in _body(**overrides).items() if v is not None}
    response = api.post(COMPLETION, body, format="json")
    assert response.status_code == 400, response.json()
    assert message in response.json()["error"]


def test_a_model_nobody_serves_is_a_503_naming_its_queue(api: APIClient) -> None:
    response = api.post(COMPLETION, _body(model="unserved"), format="json")
    assert response.status_code == 503
    assert "inference.unserved" in response.json()["error"]


def test_the_secret_header_is_checked_when_a_secret_is_set(settings: Any) -> None:
    settings.INFERENCE_SECRET = "s3cret"
    api = APIClient()  # no default header: each request below sends its own
    response = api.post(COMPLETION, _body(model="unserved"), format="json")
    assert response.status_code == 401
    assert response.json()["error"] == "Invalid or missing X-SECRET-KEY header"
    wrong = api.post(COMPLETION, _body(model="unserved"), format="json", HTTP_X_SECRET_KEY="nope")
    assert wrong.status_code == 401
    right = api.post(COMPLETION, _body(model="unserved"), format="json", HTTP_X_SECRET_KEY="s3cret")
    assert right.status_code == 503
