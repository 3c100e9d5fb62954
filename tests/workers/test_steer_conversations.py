"""steer_chat_conversations: STEERED and DEFAULT each continuing their own conversation."""

from __future__ import annotations

from typing import Any

import pytest

from bus.steering import SteerSettings
from workers import steer
from workers.errors import BadRequest

FEATURES = [{"source": "1-res-demo", "index": 4, "strength": 40.0}]
CAT = [{"role": "user", "content": "tell me about the cat"}]
DOG = [{"role": "user", "content": "and the dog?"}]
SETTINGS = SteerSettings(n_tokens=6, temperature=0, n_logprobs=1)
OPTIONS: dict[str, Any] = {"features": FEATURES, "settings": SETTINGS}


def test_equal_conversations_share_one_batch(served: Any) -> None:
    together = steer.steer_chat_conversations(served, {"STEERED": CAT, "DEFAULT": CAT}, **OPTIONS)
    plain = steer.steer_chat(served, CAT, **OPTIONS)
    assert together["outputs"] == plain["outputs"]
    assert together["input"] == plain["input"]
    assert together["inputs"] == {"STEERED": plain["input"], "DEFAULT": plain["input"]}


def test_each_type_continues_its_own_conversation(served: Any) -> None:
    out = steer.steer_chat_conversations(served, {"STEERED": DOG, "DEFAULT": CAT}, **OPTIONS)
    by_type = {o["type"]: o for o in out["outputs"]}
    assert by_type["STEERED"]["chat_template"][:-1] == DOG
    assert by_type["DEFAULT"]["chat_template"][:-1] == CAT
    alone = steer.steer_chat(served, CAT, types=["DEFAULT"], **OPTIONS)
    assert by_type["DEFAULT"] == alone["outputs"][0]
    assert out["inputs"]["STEERED"]["chat_template"] == DOG
    assert [o["type"] for o in out["outputs"]] == ["STEERED", "DEFAULT"]


def test_every_frame_carries_both_types(served: Any) -> None:
    frames: list[dict[str, Any]] = []
    out = steer.steer_chat_conversations(
        served,
        {"STEERED": DOG, "DEFAULT": CAT},
        on_frame=frames.append,
        frame_tokens=2,
        **OPTIONS,
    )
    assert len(frames) >= 3
    for frame in frames:
        assert [o["type"] for o in frame["outputs"]] == ["STEERED", "DEFAULT"]
    # DEFAULT has not started while STEERED streams: its reply is empty, not missing.
    assert frames[0]["outputs"][1]["chat_template"][-1] == {"role": "assistant", "content": ""}
    assert frames[-1]["outputs"] == out["outputs"]


def test_a_type_without_a_conversation_is_rejected(served: Any) -> None:
    with pytest.raises(BadRequest):
        steer.steer_chat_conversations(served, {"STEERED": CAT}, **OPTIONS)
