"""`steer_logits`: ablating an active transcoder feature changes what the model predicts; a
delta of 0 changes nothing; bad feature specs are 400s with upstream's messages."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from workers.errors import BadRequest
from workers.graphs.steer import SteerSettings, steer_logits

PROMPT = "The cat sat on the"


def _strongest_feature(graph_model: Any) -> tuple[int, int, int]:
    """(layer, index, position) of the most active feature at the last position."""
    tokenizer = graph_model.tokenizer
    ids = [tokenizer.bos_token_id, *tokenizer(PROMPT, add_special_tokens=False)["input_ids"]]
    _, acts = graph_model.model.get_activations(torch.tensor([ids]))
    last = acts[:, -1]  # [layers, d_transcoder]
    layer, index = divmod(int(last.argmax()), last.shape[1])
    assert last[layer, index] > 0
    return layer, index, len(ids) - 1


def _probs(rows: list[dict[str, Any]]) -> list[list[float]]:
    return [[t["prob"] for t in row["top_logits"]] for row in rows if row["top_logits"]]


def test_ablating_an_active_feature_changes_the_logits(graph_model: Any) -> None:
    layer, index, pos = _strongest_feature(graph_model)
    out = steer_logits(
        graph_model,
        PROMPT,
        None,
        [
            {
                "layer": layer,
                "index": index,
                "token_active_position": pos,
                "steer_position": pos,
                "ablate": True,
            }
        ],
        SteerSettings(n_tokens=3),
    )
    assert set(out) == {
        "DEFAULT_GENERATION",
        "STEERED_GENERATION",
        "DEFAULT_LOGITS_BY_TOKEN",
        "STEERED_LOGITS_BY_TOKEN",
    }
    assert out["DEFAULT_GENERATION"].startswith("<|endoftext|>" + PROMPT)
    default, steered = out["DEFAULT_LOGITS_BY_TOKEN"], out["STEERED_LOGITS_BY_TOKEN"]
    first = len(graph_model.tokenizer(PROMPT)["input_ids"])  # the last prompt token's row
    assert default[first]["top_logits"] and steered[first]["top_logits"]
    assert default[first]["top_logits"] != steered[first]["top_logits"]


def test_a_delta_of_zero_changes_nothing(graph_model: Any) -> None:
    layer, index, pos = _strongest_feature(graph_model)
    for freeze in (False, True):
        out = steer_logits(
            graph_model,
            PROMPT,
            None,
            [
                {
                    "layer": layer,
                    "index": index,
                    "token_active_position": pos,
                    "steer_position": pos,
                    "delta": 0.0,
                }
            ],
            SteerSettings(n_tokens=3, freeze_attention=freeze),
        )
        assert out["STEERED_GENERATION"] == out["DEFAULT_GENERATION"]
        first = len(graph_model.tokenizer(PROMPT)["input_ids"])
        want = out["DEFAULT_LOGITS_BY_TOKEN"][first]["top_logits"]
        got = out["STEERED_LOGITS_BY_TOKEN"][first]["top_logits"]
        assert [t["token"] for t in got] == [t["token"] for t in want]
        assert [t["prob"] for t in got] == pytest.approx([t["prob"] for t in want], abs=1e-4)


@pytest.mark.parametrize(
    ("feature", "message"),
    [
        ({"steer_position": 1, "ablate": True, "delta": 1.0}, "When ablate is True"),
        ({"steer_position": 1}, "When ablate is False"),
        ({"steer_position": 1, "steer_generated_tokens": True, "ablate": True}, "position must"),
        ({"ablate": True}, "When steer_generated_tokens is False"),
        ({"steer_position": 99, "ablate": True}, "out of bounds"),
    ],
)
def test_bad_features_are_400s(graph_model: Any, feature: dict[str, Any], message: str) -> None:
    spec = {"layer": 0, "index": 0, "token_active_position": 1, **feature}
    with pytest.raises(BadRequest, match=message):
        steer_logits(graph_model, PROMPT, None, [spec], SteerSettings(n_tokens=2))


def test_a_feature_at_the_leading_special_token_is_dropped(graph_model: Any) -> None:
    """Position 0 is what `parse_chat_prompt` reports as unsteerable: a huge shift there steers
    nothing, as upstream's `/steer` drops features at its unsteerable positions."""
    layer, index, pos = _strongest_feature(graph_model)
    spec = {"layer": layer, "index": index, "token_active_position": pos}
    out = steer_logits(
        graph_model,
        PROMPT,
        None,
        [{**spec, "steer_position": 0, "delta": 1000.0}],
        SteerSettings(n_tokens=3),
    )
    first = len(graph_model.tokenizer(PROMPT)["input_ids"])
    want = out["DEFAULT_LOGITS_BY_TOKEN"][first]["top_logits"]
    got = out["STEERED_LOGITS_BY_TOKEN"][first]["top_logits"]
    assert [t["token"] for t in got] == [t["token"] for t in want]
    assert [t["prob"] for t in got] == pytest.approx([t["prob"] for t in want], abs=1e-4)
