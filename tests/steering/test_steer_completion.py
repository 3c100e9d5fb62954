"""POST /api/steer/: completion steering through a real worker, saved and answered from the DB."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from features.models import Visibility
from steering.models import SteerOutput, SteerOutputToNeuron
from tests.support.accounts import Account
from tests.support.factories import make_model
from tests.support.steering import MODEL_ID
from tests.support.worker_processes import WorkerProcess

pytestmark = pytest.mark.django_db

URL = "/api/steer/"
PROMPT = "The cat sat on the mat."
FEATURE = {"modelId": MODEL_ID, "layer": "1-res-demo", "index": 4, "strength": 80}


def _body(**overrides: Any) -> dict[str, Any]:
    body = {
        "modelId": MODEL_ID,
        "features": [FEATURE],
        "prompt": PROMPT,
        "temperature": 0,
        "n_tokens": 8,
        "freq_penalty": 0,
        "seed": 16,
        "strength_multiplier": 1,
    }
    return {**body, **overrides}


def test_it_returns_steered_and_default_text_and_saves_both(
    api: APIClient, tiny_model: Any, steer_worker: WorkerProcess
) -> None:
    response = api.post(URL, _body(), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert isinstance(body["STEERED"], str) and isinstance(body["DEFAULT"], str)
    assert body["STEERED"] != body["DEFAULT"]
    assert not body["STEERED"].startswith(PROMPT)  # version 2: the generation only
    steered = SteerOutput.objects.get(id=body["id"])
    assert body["shareUrl"] == f"{settings.SITE_URL}/steer/{steered.id}"
    assert body["settings"] == {
        "temperature": 0.0,
        "n_tokens": 8,
        "freq_penalty": 0.0,
        "seed": 16.0,
        "strength_multiplier": 1.0,
        "steer_special_tokens": False,
        "steer_method": "SIMPLE_ADDITIVE",
    }
    assert int(body["limit"]) >= 0  # the steer rate limit's remaining requests this hour
    for key in ("steeredLogProbs", "defaultLogProbs"):
        first = body[key][0]
        assert set(first) == {"token", "logprob", "topLogprobs"}
        assert len(first["topLogprobs"]) == 5
    assert "".join(e["token"] for e in body["steeredLogProbs"]) == body["STEERED"]
    assert steered.type == "STEERED" and steered.output_text == body["STEERED"]
    assert steered.input_text == PROMPT and steered.version == 2
    default = steered.connected_default_output
    assert default is not None and default.type == "DEFAULT"
    assert default.output_text == body["DEFAULT"]
    assert default.connected_steer_output_ids == [steered.id]
    assert list(
        SteerOutputToNeuron.objects.values_list(
            "steer_output_id", "model_id", "layer", "index", "strength"
        )
    ) == [(steered.id, MODEL_ID, "1-res-demo", "4", 80.0)]


def test_a_repeated_request_is_answered_from_the_database(
    api: APIClient, tiny_model: Any, steer_worker: WorkerProcess
) -> None:
    first = api.post(URL, _body(), format="json").json()
    second = api.post(URL, _body(), format="json").json()
    # `limit` is the rate limiter's remaining count: one less for each request.
    assert int(second.pop("limit")) == int(first.pop("limit")) - 1
    assert second == first
    assert SteerOutput.objects.count() == 2
    # Another strength is another key: only STEERED is generated again.
    other = api.post(URL, _body(features=[{**FEATURE, "strength": 40}]), format="json").json()
    assert other["DEFAULT"] == first["DEFAULT"] and other["id"] != first["id"]
    assert SteerOutput.objects.count() == 3
    assert SteerOutput.objects.get(id=other["id"]).connected_default_output_id == (
        SteerOutput.objects.get(id=first["id"]).connected_default_output_id
    )


def test_generation_is_deterministic_for_a_seed(
    api: APIClient, tiny_model: Any, steer_worker: WorkerProcess
) -> None:
    body = _body(temperature=1, n_tokens=12, seed=7)
    first = api.post(URL, body, format="json").json()
    SteerOutput.objects.all().delete()
    again = api.post(URL, body, format="json").json()
    other_seed = api.post(URL, {**body, "seed": 8}, format="json").json()
    assert (again["STEERED"], again["DEFAULT"]) == (first["STEERED"], first["DEFAULT"])
    assert (other_seed["STEERED"], other_seed["DEFAULT"]) != (first["STEERED"], first["DEFAULT"])


def test_freq_penalty_changes_the_generation(
    api: APIClient, tiny_model: Any, steer_worker: WorkerProcess
) -> None:
    plain = api.post(
        URL, _body(features=[], n_tokens=24, prompt="the the the"), format="json"
    ).json()
    penalised = api.post(
        URL, _body(features=[], n_tokens=24, prompt="the the the", freq_penalty=2), format="json"
    ).json()
    assert plain["DEFAULT"] != penalised["DEFAULT"]


def test_without_features_only_default_runs(
    api: APIClient, tiny_model: Any, steer_worker: WorkerProcess
) -> None:
    body = api.post(URL, _body(features=[]), format="json").json()
    assert body["STEERED"] is None and body["steeredLogProbs"] is None
    assert SteerOutput.objects.get(id=body["id"]).type == "DEFAULT"


def test_it_streams_cumulative_frames_and_the_last_carries_the_share_link(
    api: APIClient, tiny_model: Any, steer_worker: WorkerProcess
) -> None:
    from tests.support.steering import sse_frames, streamed

    response = api.post(
        URL, _body(n_tokens=16, stream=True), format="json", HTTP_ACCEPT="text/event-stream"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    frames = sse_frames(streamed(response))
    assert len(frames) >= 3
    for earlier, later in zip(frames, frames[1:], strict=False):
        for side in ("STEERED", "DEFAULT"):
            assert later[side].startswith(earlier[side])
    assert all(f["id"] is None and f["shareUrl"] is None for f in frames[:-1])
    last = frames[-1]
    assert last["shareUrl"] == f"{settings.SITE_URL}/steer/{last['id']}"
    # The stream's answer is the one saved: the same request now comes from the database.
    again = api.post(URL, _body(n_tokens=16), format="json").json()
    assert {k: again[k] for k in ("STEERED", "DEFAULT", "id")} == {
        k: last[k] for k in ("STEERED", "DEFAULT", "id")
    }


def test_a_cached_answer_streams_as_one_frame(
    api: APIClient, tiny_model: Any, steer_worker: WorkerProcess
) -> None:
    from tests.support.steering import sse_frames, streamed

    saved = api.post(URL, _body(), format="json").json()
    frames = sse_frames(streamed(api.post(URL, _body(stream=True), format="json")))
    assert len(frames) == 1
    assert int(frames[0].pop("limit")) == int(saved.pop("limit")) - 1
    assert frames == [saved]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"prompt": "x" * 2049}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"n_tokens": 257}, "n_tokens: Must be at most 256"),
        ({"n_tokens": 0}, "n_tokens"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"strength_multiplier": 11}, "strength_multiplier"),
        ({"seed": 1e9}, "seed"),
        ({"freq_penalty": 3}, "freq_penalty"),
        ({"steer_method": "PROJECTION_CAP"}, "PROJECTION_CAP is not supported"),
        ({"steer_method": "LOUDER"}, "steer_method"),
        ({"features": [{**FEATURE, "strength": -301}]}, "strength"),
        ({"features": [{**FEATURE, "strength": None}]}, "strength"),
        ({"features": [{**FEATURE, "index": "four"}]}, "index"),
        ({"features": [FEATURE, {**FEATURE, "strength": 3}]}, "more than once"),
        ({"features": [{**FEATURE, "modelId": "other"}]}, "must be from the model"),
    ],
)
def test_it_rejects_bad_requests(
    api: APIClient, tiny_model: Any, overrides: dict[str, Any], message: str
) -> None:
    response = api.post(URL, _body(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert message in response.json()["message"]
    assert not SteerOutput.objects.exists()


def test_an_sse_client_gets_errors_as_one_event(api: APIClient, tiny_model: Any) -> None:
    from tests.support.steering import sse_frames

    response = api.post(
        URL, _body(n_tokens=0, stream=True), format="json", HTTP_ACCEPT="text/event-stream"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "text/event-stream"
    [event] = sse_frames(response.content)
    assert "n_tokens" in event["message"]


def test_vectors_and_sae_features_cannot_be_mixed(alice: Account, tiny_model: Any) -> None:
    from steering import vectors

    vector = vectors.create_vector(
        alice.user,
        model_id=MODEL_ID,
        layer=0,
        hook_type="hook_resid_pre",
        values=[0.5] * 64,
        default_strength=3,
        label="v",
    )
    features = [
        FEATURE,
        {"modelId": MODEL_ID, "layer": vector.layer, "index": vector.index, "strength": 3},
    ]
    response = alice.client().post(URL, _body(features=features), format="json")
    assert response.status_code == 400
    assert response.json()["message"] == "Can't steer both vector and non-vector features"


def test_unknown_and_hidden_models_and_features_are_404(
    api: APIClient, bob: Account, tiny_model: Any
) -> None:
    make_model("hidden", layers=2, dimension=64, visibility=Visibility.PRIVATE, creator=bob.user)
    assert api.post(URL, _body(modelId="nope", features=[]), format="json").status_code == 404
    assert api.post(URL, _body(modelId="hidden", features=[]), format="json").status_code == 404
    missing = {**FEATURE, "layer": "7-res-demo"}
    response = api.post(URL, _body(features=[missing]), format="json")
    assert response.status_code == 404
    assert "7-res-demo" in response.json()["message"]


def test_no_worker_is_a_503_naming_the_queue(api: APIClient, tiny_model: Any) -> None:
    make_model("unserved", layers=2, dimension=64)
    response = api.post(URL, _body(modelId="unserved", features=[]), format="json")
    assert response.status_code == 503
    assert "inference.unserved" in response.json()["message"]


@pytest.mark.parametrize("method", ["SIMPLE_ADDITIVE", "ORTHOGONAL_DECOMP"])
def test_steering_matches_a_hand_computed_residual_edit(
    alice: Account, tiny_model: Any, tiny_dirs: Any, steer_worker: WorkerProcess, method: str
) -> None:
    import torch

    from steering import vectors
    from workers.model_dir import load_model_dir

    v = torch.randn(64, generator=torch.Generator().manual_seed(5))
    vector = vectors.create_vector(
        alice.user,
        model_id=MODEL_ID,
        layer=1,
        hook_type="hook_resid_pre",
        values=v.tolist(),
        default_strength=1,
        label="random",
    )
    feature = {"modelId": MODEL_ID, "layer": vector.layer, "index": vector.index, "strength": 3}
    body = _body(features=[feature], strength_multiplier=2, n_tokens=6, steer_method=method)
    steered = alice.client().post(URL, body, format="json").json()["STEERED"]

    # The same edit written out by hand on a copy of the model in this process, greedy.
    coeff = 2 * 3
    v64 = torch.tensor(vector.vector, dtype=torch.float32)

    def edit(act: torch.Tensor, hook: Any) -> torch.Tensor:
        if method == "SIMPLE_ADDITIVE":
            return act + coeff * v64
        along = ((act @ v64) / (v64 @ v64))[..., None] * v64
        return act - along + coeff * along

    model = load_model_dir(tiny_dirs[0])
    tokens = model.to_tokens(PROMPT)
    with model.hooks(fwd_hooks=[("blocks.1.hook_resid_pre", edit)]):
        out = model.generate(
            tokens, max_new_tokens=6, do_sample=False, stop_at_eos=False, verbose=False
        )
    generated = out[0, tokens.shape[1] :].tolist()
    eos = model.tokenizer.eos_token_id
    if eos in generated:
        generated = generated[: generated.index(eos)]
    assert steered == model.tokenizer.decode(generated).replace("\x00", "\ufffd")


def test_a_saved_answer_needs_no_worker(
    api: APIClient, tiny_model: Any, tiny_dirs: Any, start_worker: Any
) -> None:
    from bus import registry
    from tests.support.factories import make_source
    from tests.support.steering import tiny_worker_args

    # Its own worker (serving the tiny model as `tiny-cache`), so it can be stopped.
    make_source(make_model("tiny-cache", layers=2, dimension=64), "1-res-demo")
    worker = start_worker(*tiny_worker_args(tiny_dirs), "--override-model-id", "tiny-cache")
    body = _body(modelId="tiny-cache", features=[{**FEATURE, "modelId": "tiny-cache"}])
    first = api.post(URL, body, format="json").json()
    assert first["STEERED"] is not None
    worker.kill()
    registry.withdraw(worker.hostname)  # what a clean shutdown does, without its seconds
    again = api.post(URL, body, format="json")
    assert again.status_code == 200
    assert {**again.json(), "limit": None} == {**first, "limit": None}
    assert api.post(URL, {**body, "seed": 17}, format="json").status_code == 503
