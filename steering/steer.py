"""Steering from the web side: plan a request, answer what the cache has, send the rest to the
model's worker (STEERED and DEFAULT generated together in one batch), save, and shape the
answer as Neuronpedia's /api/steer and /api/steer-chat do, whole or as SSE frames.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from django.conf import settings

from bus import task_names
from bus.steering import DEFAULT, STEERED, SteerSettings
from neuronpedia_site.errors import ApiError
from neuronpedia_site.event_stream import sse_event
from neuronpedia_site.models import User
from steering import cache
from steering.dispatch import call_worker, stream_task
from steering.feature_lookup import get_model, resolve_features
from steering.models import SteerOutput
from steering.plan import N_LOGPROBS, Output, SteerPlan, settings_json
from steering.serializers import MAX_STEER_TOKENS, MAX_STEER_TOKENS_THINKING

# -- planning ----------------------------------------------------------------------------------


def _settings(data: dict[str, Any], steer_special_tokens: bool = False) -> SteerSettings:
    return SteerSettings(
        temperature=data["temperature"],
        n_tokens=data["n_tokens"],
        freq_penalty=data["freq_penalty"],
        seed=data["seed"],
        strength_multiplier=data["strength_multiplier"],
        steer_method=data["steer_method"],
        steer_special_tokens=steer_special_tokens,
        normalize_steering=data["normalize_steering"],
    )


def _plan(data: dict[str, Any], user: User | None, limit: str | None, chat: bool) -> SteerPlan:
    model = get_model(data["modelId"], user)
    max_tokens = MAX_STEER_TOKENS_THINKING if model.thinking else MAX_STEER_TOKENS
    if data["n_tokens"] > max_tokens:
        raise ApiError(f"n_tokens: Must be at most {max_tokens}.")
    return SteerPlan(
        model=model,
        chat=chat,
        settings=_settings(data, data.get("steer_special_tokens", False)),
        features=resolve_features(model, data["features"], user),
        user=user,
        limit=limit,
        stream=data["stream"],
    )


def plan_completion(data: dict[str, Any], user: User | None, limit: str | None) -> SteerPlan:
    """A validated `/api/steer` body (serializers.SteerCompletion) as a plan."""
    plan = _plan(data, user, limit, chat=False)
    plan.prompt = data["prompt"]
    return plan


def plan_chat(data: dict[str, Any], user: User | None, limit: str | None) -> SteerPlan:
    """A validated `/api/steer-chat` body (serializers.SteerChat) as a plan."""
    plan = _plan(data, user, limit, chat=True)
    plan.conversations = {
        STEERED: [dict(m) for m in data["steeredChatMessages"]],
        DEFAULT: [dict(m) for m in data["defaultChatMessages"]],
    }
    return plan


# -- the worker --------------------------------------------------------------------------------


def _task(plan: SteerPlan, types: list[str]) -> tuple[str, dict[str, Any]]:
    """The task name and arguments generating `types` of `plan`."""
    kwargs: dict[str, Any] = {
        "types": types,
        "settings": replace(plan.settings, n_logprobs=N_LOGPROBS).to_wire(),
    }
    if STEERED in types:
        items = [f.to_worker() for f in plan.features]
        kwargs["vectors" if plan.features[0].is_vector else "features"] = items
    if plan.chat:
        kwargs["conversations"] = {t: plan.conversations[t] for t in types}
        return task_names.STEER_CHAT, kwargs
    kwargs["prompt"] = plan.prompt
    return task_names.STEER_COMPLETION, kwargs


def camel_logprobs(logprobs: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """The worker's `{token, logprob, top_logprobs}` as the webapp's NPLogprob."""
    if logprobs is None:
        return None
    return [
        {"token": e["token"], "logprob": e["logprob"], "topLogprobs": e["top_logprobs"]}
        for e in logprobs
    ]


def _text(text: str) -> str:
    """Postgres text cannot hold NUL, which a byte-level tokenizer may generate; the same
    replacement goes into the answer, so a cached repeat is identical."""
    return text.replace("\x00", "\ufffd")


def outputs_from_result(plan: SteerPlan, result: dict[str, Any]) -> dict[str, Output]:
    inputs = result.get("inputs") or {}
    outputs = {}
    for item in result["outputs"]:
        steer_type = item["type"]
        logprobs = camel_logprobs(item.get("logprobs"))
        if plan.chat:
            messages = [
                {"role": m["role"], "content": _text(m["content"])} for m in item["chat_template"]
            ]
            raw_input = (inputs.get(steer_type) or {}).get("raw")
            outputs[steer_type] = Output(
                steer_type, _text(item["raw"]), messages, logprobs, raw_input
            )
        else:
            outputs[steer_type] = Output(steer_type, _text(item["output"]), None, logprobs)
    return outputs


# -- answers -----------------------------------------------------------------------------------


def share_url(steer_output_id: str) -> str:
    return f"{settings.SITE_URL}/steer/{steer_output_id}"


def response_body(
    plan: SteerPlan, outputs: dict[str, Output], rows: dict[str, SteerOutput] | None = None
) -> dict[str, Any]:
    """Neuronpedia's answer: `STEERED`/`DEFAULT` (text for completions, `{raw, chatTemplate,
    logprobs}` for chat), `id`/`shareUrl` of the saved STEERED row (DEFAULT when only that
    ran; null in intermediate stream frames), `limit` and `settings`."""
    body: dict[str, Any] = {}
    for steer_type in (STEERED, DEFAULT):
        output = outputs.get(steer_type)
        if plan.chat:
            body[steer_type] = (
                None
                if output is None
                else {
                    "raw": output.text,
                    "chatTemplate": output.chat_template,
                    "chat_template": output.chat_template,
                    "logprobs": output.logprobs,
                }
            )
        else:
            body[steer_type] = None if output is None else output.text
            key = "steeredLogProbs" if steer_type == STEERED else "defaultLogProbs"
            body[key] = None if output is None else output.logprobs
    row = (rows or {}).get(STEERED) or (rows or {}).get(DEFAULT)
    body["id"] = row.id if row is not None else None
    body["shareUrl"] = share_url(row.id) if row is not None else None
    body["limit"] = plan.limit
    body["settings"] = settings_json(plan.settings)
    return body


def _cached(plan: SteerPlan) -> tuple[dict[str, SteerOutput], list[str]]:
    rows = cache.find_all(plan)
    return rows, [t for t in plan.types if t not in rows]


def answer_steer(plan: SteerPlan) -> dict[str, Any]:
    """The whole answer: saved outputs from the cache, the missing ones from a worker."""
    rows, missing = _cached(plan)
    outputs = {t: cache.output_from_row(r) for t, r in rows.items()}
    new: dict[str, Output] = {}
    if missing:
        name, kwargs = _task(plan, missing)
        new = outputs_from_result(plan, call_worker(plan.model.id, name, kwargs))
    rows = cache.save(plan, new, rows)
    return response_body(plan, {**outputs, **new}, rows)


def stream_steer(plan: SteerPlan) -> Iterator[bytes]:
    """SSE frames of the answer, each the whole object with the texts so far; the last one
    carries `id` and `shareUrl` of the saved rows. Types already saved are not generated again."""
    rows, missing = _cached(plan)
    cached = {t: cache.output_from_row(r) for t, r in rows.items()}
    if not missing:
        return iter([sse_event(response_body(plan, cached, rows))])

    def frame_body(frame: dict[str, Any]) -> dict[str, Any]:
        return response_body(plan, {**cached, **outputs_from_result(plan, frame)})

    def done_body(result: dict[str, Any]) -> dict[str, Any]:
        new = outputs_from_result(plan, result)
        return response_body(plan, {**cached, **new}, cache.save(plan, new, rows))

    name, kwargs = _task(plan, missing)
    return stream_task(plan.model.id, name, kwargs, frame_body, done_body)
