"""Steering: residual edits, the STEERED+DEFAULT batch, sampling controls, chat and streaming."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from bus.steering import ORTHOGONAL_DECOMP, SIMPLE_ADDITIVE, SteerSettings
from tests.support.tiny_models import build_sae, make_served
from workers import steer
from workers.errors import BadRequest, UnknownSource
from workers.generation import apply_freq_penalty

PROMPT = "The cat sat on the mat."
STEER_HOOK = "blocks.0.hook_resid_post"
# TransformerLens feeds block 0's output straight into block 1's hook_resid_pre, so this hook
# sees the residual exactly as the steering hook left it.
SEE_HOOK = "blocks.1.hook_resid_pre"
GREEDY = SteerSettings(temperature=0)


class Capture:
    """Records the activations of `SEE_HOOK` for every forward pass."""

    def __init__(self) -> None:
        self.passes: list[torch.Tensor] = []

    def __call__(self, act: torch.Tensor, hook: Any) -> None:
        self.passes.append(act.detach().clone())


@pytest.fixture
def capture(served: Any) -> Iterator[Capture]:
    seen = Capture()
    served.model.add_hook(SEE_HOOK, seen)
    yield seen
    served.model.reset_hooks()


def _vector(seed: int = 3) -> torch.Tensor:
    return torch.randn(64, generator=torch.Generator().manual_seed(seed))


def test_simple_additive_adds_coeff_times_vector_everywhere(served: Any, capture: Capture) -> None:
    v = _vector()
    steer.steer_completion(
        served,
        PROMPT,
        vectors=[{"steering_vector": v.tolist(), "strength": 1.5, "hook": STEER_HOOK}],
        settings=replace(GREEDY, strength_multiplier=2.0, n_tokens=3),
    )
    first = capture.passes[0]  # [2, prompt_len, d]; row 0 steered, row 1 default
    assert first.shape[0] == 2
    torch.testing.assert_close(first[0], first[1] + 3.0 * v, atol=1e-4, rtol=1e-4)
    assert [p.shape[1] for p in capture.passes[1:]] == [1, 1]


def test_orthogonal_decomp_scales_the_part_along_the_feature(
    model_dir: Path, shared_model: Any, tmp_path: Path
) -> None:
    sae_dir = tmp_path / "0-post-demo"
    build_sae("standard", STEER_HOOK, "0-post-demo").save_model(str(sae_dir))
    served = make_served(model_dir, {"0-post-demo": str(sae_dir)}, model=shared_model)
    seen = Capture()
    served.model.add_hook(SEE_HOOK, seen)
    try:
        steer.steer_completion(
            served,
            PROMPT,
            features=[{"source": "0-post-demo", "index": 12, "strength": 4.0}],
            settings=replace(
                GREEDY, steer_method=ORTHOGONAL_DECOMP, strength_multiplier=0.5, n_tokens=1
            ),
        )
    finally:
        served.model.reset_hooks()
    v = served.get_sae("0-post-demo").W_dec[12].detach()
    first = seen.passes[0]
    h = first[1]
    along = ((h @ v) / (v @ v))[:, None] * v
    torch.testing.assert_close(first[0], h - along + 2.0 * along, atol=1e-4, rtol=1e-4)


def test_steering_hook_matches_hand_computed_edit() -> None:
    h = torch.randn(2, 5, 8)
    v = torch.randn(8)
    state = steer._MaskState()
    state.mask = torch.tensor([[1.0] * 5, [0.0] * 5])
    edits = [steer.SteerEdit("x", v, 2.5)]
    [(_, additive)] = steer.steering_hooks(edits, SIMPLE_ADDITIVE, state)
    [(_, ortho)] = steer.steering_hooks(edits, ORTHOGONAL_DECOMP, state)
    hook = type("Hook", (), {"name": "x"})()
    torch.testing.assert_close(additive(h, hook)[0], h[0] + 2.5 * v)
    torch.testing.assert_close(additive(h, hook)[1], h[1])
    projector = torch.outer(v, v) / (v @ v)
    expected = h[0] @ (torch.eye(8) - projector).T + 2.5 * h[0] @ projector.T
    torch.testing.assert_close(ortho(h, hook)[0], expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ortho(h, hook)[1], h[1])


def test_default_row_equals_unsteered_generation(served: Any) -> None:
    features = [{"source": "1-res-demo", "index": 4, "strength": 80.0}]
    settings = replace(GREEDY, n_tokens=12)
    both = steer.steer_completion(served, PROMPT, features=features, settings=settings)
    outputs = {o["type"]: o["output"] for o in both["outputs"]}
    alone = steer.steer_completion(
        served, PROMPT, features=features, types=["DEFAULT"], settings=settings
    )
    assert alone["outputs"][0]["output"] == outputs["DEFAULT"]
    tokens = served.model.to_tokens(PROMPT)
    reference = served.model.generate(
        tokens, max_new_tokens=12, do_sample=False, stop_at_eos=False, verbose=False
    )[0, tokens.shape[1] :].tolist()
    eos = served.tokenizer.eos_token_id
    if eos in reference:
        reference = reference[: reference.index(eos)]
    assert outputs["DEFAULT"] == served.tokenizer.decode(reference)
    assert outputs["STEERED"] != outputs["DEFAULT"]


def test_sampling_is_deterministic_for_a_seed(served: Any) -> None:
    features = [{"source": "1-res-demo", "index": 4, "strength": 20.0}]
    sampled = SteerSettings(n_tokens=16, temperature=1.0)
    seven, eight = replace(sampled, seed=7), replace(sampled, seed=8)
    a = steer.steer_completion(served, PROMPT, features=features, settings=seven)
    b = steer.steer_completion(served, PROMPT, features=features, settings=seven)
    c = steer.steer_completion(served, PROMPT, features=features, settings=eight)
    assert a == b
    assert a != c
    alone = steer.steer_completion(
        served, PROMPT, features=features, types=["DEFAULT"], settings=seven
    )
    assert alone["outputs"][0] == a["outputs"][1]


def test_outputs_follow_the_requested_type_order(served: Any) -> None:
    out = steer.steer_completion(
        served,
        PROMPT,
        features=[{"source": "1-res-demo", "index": 4, "strength": 5.0}],
        types=["DEFAULT", "STEERED"],
        settings=replace(GREEDY, n_tokens=2),
    )
    assert [o["type"] for o in out["outputs"]] == ["DEFAULT", "STEERED"]
    assert out["outputs"][0]["logprobs"] is None


def test_freq_penalty_subtracts_penalty_times_count() -> None:
    logits = torch.tensor([[1.0, 2.0, 3.0]])
    counts = torch.tensor([[0.0, 1.0, 3.0]])
    torch.testing.assert_close(
        apply_freq_penalty(logits, counts, 0.5), torch.tensor([[1.0, 1.5, 1.5]])
    )
    assert apply_freq_penalty(logits, counts, 0.0) is logits


def test_large_freq_penalty_stops_repeats(served: Any) -> None:
    eos = served.tokenizer.eos_token_id
    settings = replace(GREEDY, n_tokens=30)
    plain = steer.steer_completion(
        served, "the the the", types=["DEFAULT"], settings=replace(settings, freq_penalty=0.0)
    )
    penalised = steer.steer_completion(
        served, "the the the", types=["DEFAULT"], settings=replace(settings, freq_penalty=1000.0)
    )
    ids = served.model.to_tokens(penalised["outputs"][0]["output"], prepend_bos=False)[0].tolist()
    assert eos not in ids
    assert penalised != plain
    # Every generated token is new: each use subtracts 1000 from that token's logit.
    generated = _generated_ids(served, "the the the", freq_penalty=1000.0)
    assert len(generated) == len(set(generated))


def _generated_ids(served: Any, prompt: str, freq_penalty: float) -> list[int]:
    from workers.generation import generate
    from workers.inference import encode_text, with_bos_text

    ids = encode_text(served, with_bos_text(served, prompt), prepend_bos=False)
    rows = generate(
        served.model,
        ids,
        1,
        max_new_tokens=30,
        temperature=0,
        freq_penalty=freq_penalty,
        seed=0,
    )
    return rows[0].tokens


def test_logprobs_have_one_entry_per_token_with_top_k(served: Any) -> None:
    out = steer.steer_completion(
        served, PROMPT, types=["DEFAULT"], settings=replace(GREEDY, n_tokens=5, n_logprobs=3)
    )
    logprobs = out["outputs"][0]["logprobs"]
    assert 1 <= len(logprobs) <= 5
    assert "".join(entry["token"] for entry in logprobs) == out["outputs"][0]["output"]
    for entry in logprobs:
        assert set(entry) == {"token", "logprob", "top_logprobs"}
        top = entry["top_logprobs"]
        assert len(top) == 3
        assert [t["logprob"] for t in top] == sorted((t["logprob"] for t in top), reverse=True)
        assert top[0]["token"] == entry["token"]  # greedy picks the most likely token
        assert entry["logprob"] == pytest.approx(top[0]["logprob"])
        assert entry["logprob"] <= 0


def test_n_tokens_is_clamped_to_the_context(served: Any) -> None:
    long_prompt = " cat" * 90
    out = steer.steer_completion(
        served, long_prompt, types=["DEFAULT"], settings=replace(GREEDY, n_tokens=50, n_logprobs=1)
    )
    n_prompt = len(served.model.to_tokens(long_prompt)[0])
    assert len(out["outputs"][0]["logprobs"]) <= served.model.cfg.n_ctx - n_prompt
    with pytest.raises(BadRequest):
        steer.steer_completion(
            served, " cat" * 200, types=["DEFAULT"], settings=SteerSettings(n_tokens=5)
        )


def test_streaming_frames_are_cumulative(served: Any) -> None:
    frames: list[dict[str, Any]] = []
    out = steer.steer_completion(
        served,
        PROMPT,
        features=[{"source": "1-res-demo", "index": 4, "strength": 5.0}],
        settings=replace(GREEDY, n_tokens=10),
        on_frame=frames.append,
        frame_tokens=3,
    )
    assert len(frames) >= 2
    assert frames[-1] == out
    for earlier, later in zip(frames, frames[1:], strict=False):
        for a, b in zip(earlier["outputs"], later["outputs"], strict=True):
            assert b["output"].startswith(a["output"])


TWO_TOKENS = SteerSettings(n_tokens=2)


@pytest.mark.parametrize(
    ("kwargs", "settings", "error"),
    [
        ({}, replace(TWO_TOKENS, steer_method="PROJECTION_CAP"), BadRequest),
        ({"types": ["BOTH"]}, TWO_TOKENS, BadRequest),
        ({"types": ["STEERED"], "features": []}, TWO_TOKENS, BadRequest),
        ({}, replace(TWO_TOKENS, n_logprobs=11), BadRequest),
        (
            {"features": [{"source": "7-nope", "index": 1, "strength": 1}]},
            TWO_TOKENS,
            UnknownSource,
        ),
        (
            {"vectors": [{"steering_vector": [0.0] * 64, "strength": 1, "hook": STEER_HOOK}]},
            replace(TWO_TOKENS, normalize_steering=True),
            BadRequest,
        ),
        (
            {"vectors": [{"steering_vector": [float("nan")] * 64, "strength": 1, "hook": "x"}]},
            TWO_TOKENS,
            BadRequest,
        ),
        (
            {
                "features": [{"source": "1-res-demo", "index": 1, "strength": 1}],
                "vectors": [{"steering_vector": [1.0] * 64, "strength": 1, "hook": STEER_HOOK}],
            },
            TWO_TOKENS,
            BadRequest,
        ),
    ],
)
def test_bad_requests_are_rejected(
    served: Any, kwargs: dict[str, Any], settings: SteerSettings, error: type
) -> None:
    with pytest.raises(error):
        steer.steer_completion(served, PROMPT, settings=settings, **kwargs)


def test_normalize_steering_uses_the_unit_vector(served: Any, capture: Capture) -> None:
    v = _vector() * 10
    steer.steer_completion(
        served,
        PROMPT,
        vectors=[{"steering_vector": v.tolist(), "strength": 2.0, "hook": STEER_HOOK}],
        settings=replace(GREEDY, normalize_steering=True, n_tokens=1),
    )
    first = capture.passes[0]
    torch.testing.assert_close(first[0], first[1] + 2.0 * v / v.norm(), atol=1e-4, rtol=1e-4)


MESSAGES = [{"role": "user", "content": "tell me about the cat"}]


def test_chat_falls_back_to_chatml(served: Any) -> None:
    rendered = steer.render_chat(served, MESSAGES)
    assert rendered == (
        "<|endoftext|><|im_start|>user\ntell me about the cat<|im_end|>\n<|im_start|>assistant\n"
    )


def test_chat_uses_the_tokenizer_template_when_present(served: Any) -> None:
    template = "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}[assistant] "
    served.tokenizer.chat_template = template
    try:
        assert steer.render_chat(served, MESSAGES) == "[user] tell me about the cat\n[assistant] "
    finally:
        served.tokenizer.chat_template = None


def test_chat_result_shape(served: Any) -> None:
    out = steer.steer_chat(
        served,
        MESSAGES,
        features=[{"source": "1-res-demo", "index": 4, "strength": 5.0}],
        settings=replace(GREEDY, n_tokens=6, n_logprobs=2),
    )
    rendered = steer.render_chat(served, MESSAGES)
    assert out["input"] == {"raw": rendered, "chat_template": MESSAGES}
    assert [o["type"] for o in out["outputs"]] == ["STEERED", "DEFAULT"]
    for output in out["outputs"]:
        reply = output["chat_template"][-1]
        assert output["chat_template"][:-1] == MESSAGES
        assert reply["role"] == "assistant"
        assert output["raw"] == rendered + reply["content"]
        assert len(output["logprobs"]) >= 1


def test_special_token_mask_marks_chatml_headers(served: Any) -> None:
    rendered = steer.render_chat(served, MESSAGES)
    ids = served.model.to_tokens(rendered, prepend_bos=False)[0].tolist()
    strings = served.model.to_str_tokens(rendered, prepend_bos=False)
    marked = steer.special_token_mask(served)(ids)
    text_of = {True: "", False: ""}  # the text of marked and unmarked positions
    for s, m in zip(strings, marked, strict=True):
        text_of[m] += s
    assert text_of[False] == "tell me about the cat\n"
    assert text_of[True] == "<|endoftext|><|im_start|>user\n<|im_end|><|im_start|>assistant\n"


def test_steer_special_tokens_false_leaves_special_positions_alone(
    served: Any, capture: Capture
) -> None:
    v = _vector()
    steer.steer_chat(
        served,
        MESSAGES,
        vectors=[{"steering_vector": v.tolist(), "strength": 3.0, "hook": STEER_HOOK}],
        settings=replace(GREEDY, n_tokens=1, steer_special_tokens=False),
    )
    rendered = steer.render_chat(served, MESSAGES)
    ids = served.model.to_tokens(rendered, prepend_bos=False)[0].tolist()
    marked = steer.special_token_mask(served)(ids)
    first = capture.passes[0]
    for pos, is_special in enumerate(marked):
        expected = first[1, pos] if is_special else first[1, pos] + 3.0 * v
        torch.testing.assert_close(first[0, pos], expected, atol=1e-4, rtol=1e-4)
    assert any(marked) and not all(marked)
