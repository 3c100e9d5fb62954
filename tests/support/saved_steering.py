"""Saved steering results built without a worker (`steering.cache.save` with made-up outputs)."""

from __future__ import annotations

from typing import Any

from bus.steering import DEFAULT, STEERED, SteerSettings
from steering import cache
from steering.plan import Output, SteerFeature, SteerPlan

SETTINGS = SteerSettings(
    temperature=0.5,
    n_tokens=8,
    freq_penalty=1,
    seed=16,
    strength_multiplier=2,
    steer_special_tokens=False,
)
MESSAGES = [{"role": "user", "content": "hi there"}]


def save_completion(model: Any, features: list[SteerFeature], user: Any = None) -> dict[str, Any]:
    plan = SteerPlan(
        model=model, chat=False, settings=SETTINGS, features=features, prompt="Once", user=user
    )
    outputs = {
        STEERED: Output(
            STEERED,
            " upon a fossil",
            logprobs=[{"token": " upon", "logprob": -0.1, "topLogprobs": []}],
        ),
        DEFAULT: Output(DEFAULT, " upon a time"),
    }
    return cache.save(plan, {t: outputs[t] for t in plan.types}, {})


def save_chat(model: Any, features: list[SteerFeature]) -> dict[str, Any]:
    plan = SteerPlan(
        model=model,
        chat=True,
        settings=SETTINGS,
        features=features,
        conversations={STEERED: MESSAGES, DEFAULT: MESSAGES},
    )
    rendered = "<|im_start|>user\nhi there<|im_end|>\n<|im_start|>assistant\n"
    outputs = {
        t: Output(
            t,
            rendered + reply,
            [*MESSAGES, {"role": "assistant", "content": reply}],
            None,
            rendered,
        )
        for t, reply in ((STEERED, "Dinosaurs!"), (DEFAULT, "Hello."))
    }
    return cache.save(plan, {t: outputs[t] for t in plan.types}, {})
