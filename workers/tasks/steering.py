"""Steering tasks, on the model's queue `inference.<modelId>`.

Each wraps one function of `workers.steer`; with a `channel` it also streams cumulative frames to
the web process through Redis pub/sub (`bus.frames`) and publishes the final result or error
there. The result is returned either way (`{"error", "status"}` for errors, see
`serving.answer`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from celery import shared_task

from bus import frames
from bus.claims import WAITED_FOR_TASK_OPTIONS
from bus.steering import SteerSettings
from workers import serving, steer

if TYPE_CHECKING:
    from workers.runtime import ServedModel

OnFrame = Callable[[dict[str, Any]], None]


def _streamed(
    model: str,
    channel: str | None,
    work: Callable[[ServedModel, OnFrame | None], dict[str, Any]],
) -> dict[str, Any]:
    on_frame = frames.publisher(channel) if channel else None
    try:
        result = serving.answer(model, lambda served: work(served, on_frame))
    except Exception as exc:
        # The web process is waiting on the channel: tell it now rather than at its timeout.
        if channel:
            frames.publish(
                channel, frames.ERROR, {"error": f"Steering failed: {exc}", "status": 500}
            )
        raise
    if channel:
        frames.finish(channel, result)
    return result


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def steer_completion(
    model: str,
    prompt: str,
    types: list[str],
    settings: dict[str, Any],
    features: list[dict[str, Any]] | None = None,
    vectors: list[dict[str, Any]] | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """`{outputs: [{type, output, logprobs}]}`: STEERED and DEFAULT continuations in one batch
    (`settings`: `bus.steering.SteerSettings.to_wire()`)."""
    return _streamed(
        model,
        channel,
        lambda served, on_frame: steer.steer_completion(
            served,
            prompt,
            features=features,
            vectors=vectors,
            types=types,
            settings=SteerSettings.from_wire(settings),
            on_frame=on_frame,
        ),
    )


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def steer_chat(
    model: str,
    conversations: dict[str, list[dict[str, str]]],
    types: list[str],
    settings: dict[str, Any],
    features: list[dict[str, Any]] | None = None,
    vectors: list[dict[str, Any]] | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """`{outputs: [{type, raw, chat_template, logprobs}], input, inputs}`; `conversations` maps
    each type to its messages (equal conversations share one batched generation)."""
    return _streamed(
        model,
        channel,
        lambda served, on_frame: steer.steer_chat_conversations(
            served,
            conversations,
            types=types,
            features=features,
            vectors=vectors,
            settings=SteerSettings.from_wire(settings),
            on_frame=on_frame,
        ),
    )
