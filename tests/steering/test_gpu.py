"""Steering the demo model on CUDA in bfloat16 pulls generations toward the topic, as on the CPU
(skipped without CUDA or without the bundled demo pack)."""

from __future__ import annotations

import json
from pathlib import Path
from statistics import mean

import pytest
from django.conf import settings

from bus.steering import SteerSettings

pytestmark = pytest.mark.gpu

PROMPTS = ("I like", "Today the", "We saw a", "My friend said that")


def test_topic_steering_on_cuda_bf16_raises_the_topic_word_rate() -> None:
    from workers.demo import corpus
    from workers.runtime import RuntimeConfig, ServedModel
    from workers.steer import DEFAULT, STEERED, steer_completion

    pack = Path(settings.DEMO_PACK_DIR) / "demo-lm"
    if not (pack / "manifest.json").exists():
        pytest.skip(f"no demo pack at {pack}")
    topic = json.loads((pack / "manifest.json").read_text())["topic_features"]["dinosaurs"]
    served = ServedModel(
        RuntimeConfig(
            model_id="demo-lm",
            model_dir=str(pack / "model"),
            sae_dirs=str(pack / "saes"),
            device="cuda",
            model_dtype="bfloat16",
            sae_dtype="bfloat16",
        )
    )
    assert served.device == "cuda"
    feature = {
        "source": topic["recommended_source"],
        "index": topic["index"],
        "strength": topic["recommended_strength"],
    }
    steered, default = [], []
    for seed in (1, 2, 3, 4):
        for prompt in PROMPTS:
            result = steer_completion(
                served,
                prompt,
                features=[feature],
                settings=SteerSettings(n_tokens=24, temperature=0.7, seed=seed),
            )
            by_type = {o["type"]: o["output"] for o in result["outputs"]}
            steered.append(corpus.topic_word_rate(by_type[STEERED], "dinosaurs"))
            default.append(corpus.topic_word_rate(by_type[DEFAULT], "dinosaurs"))
    assert mean(steered) > 2 * mean(default) and mean(steered) > mean(default) + 0.1, (
        steered,
        default,
    )
