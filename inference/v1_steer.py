"""`/v1/steer/completion` and `/v1/steer/completion-chat`: the Neuronpedia inference server's
steering contract (snake_case, `{outputs: [...]}`), answered by the model's worker.

Unlike `/api/steer`, nothing is looked up in the database or saved: the request carries the
SAE latents (`{source, index}`) or raw vectors itself, as the webapp sends them to its server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bus import task_names
from bus.steering import SteerSettings
from inference import hosts as inference_hosts
from steering.dispatch import call_worker, stream_task


def _task(data: dict[str, Any], chat: bool) -> tuple[str, dict[str, Any]]:
    settings = SteerSettings(
        n_tokens=data["n_completion_tokens"],
        temperature=data["temperature"],
        strength_multiplier=data["strength_multiplier"],
        freq_penalty=data["freq_penalty"],
        seed=int(data["seed"]),
        steer_method=data["steer_method"],
        normalize_steering=data["normalize_steering"],
        n_logprobs=data["n_logprobs"],
        steer_special_tokens=data.get("steer_special_tokens", True),
    )
    kwargs: dict[str, Any] = {"types": data["types"], "settings": settings.to_wire()}
    if data.get("features"):
        kwargs["features"] = [
            {k: v for k, v in f.items() if k != "model"} for f in data["features"]
        ]
    if data.get("vectors"):
        kwargs["vectors"] = data["vectors"]
    if chat:
        kwargs["conversations"] = {t: data["prompt"] for t in data["types"]}
        return task_names.STEER_CHAT, kwargs
    kwargs["prompt"] = data["prompt"]
    return task_names.STEER_COMPLETION, kwargs


def _shape(result: dict[str, Any]) -> dict[str, Any]:
    """The server's response model: unset optional fields (`logprobs`) left out."""
    outputs = [{k: v for k, v in o.items() if v is not None} for o in result["outputs"]]
    body: dict[str, Any] = {"outputs": outputs}
    if "input" in result:
        body["input"] = result["input"]
    return body


def _check_visible(data: dict[str, Any]) -> None:
    sources = [f["source"] for f in data.get("features") or []]
    inference_hosts.check_contract_access(data["model"], sources)


def answer(data: dict[str, Any], chat: bool) -> dict[str, Any]:
    _check_visible(data)
    name, kwargs = _task(data, chat)
    return _shape(call_worker(data["model"], name, kwargs))


def stream(data: dict[str, Any], chat: bool) -> Iterator[bytes]:
    """Cumulative SSE frames of the same shape, the last one the whole result."""
    _check_visible(data)
    name, kwargs = _task(data, chat)
    return stream_task(data["model"], name, kwargs, _shape, _shape)
