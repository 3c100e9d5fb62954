"""Steering the demo model's dinosaurs feature through /api/steer/ raises the rate of dinosaur
words in its generations against DEFAULT, over several seeds and prompts.

Needs the bundled demo pack (`settings.DEMO_PACK_DIR/demo-lm`, built by `manage.py
build_demo_model`) and its corpus module (`workers.demo.corpus`); skipped without them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from statistics import mean
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.support.factories import make_model, make_source
from tests.support.steering import seed_users, spawn_worker
from tests.support.worker_processes import WorkerProcess

pytestmark = pytest.mark.django_db

DEMO_MODEL_ID = "demo-lm"
TOPIC = "dinosaurs"
# Sentence openings of every topic in the demo corpus (workers.demo.steering.NEUTRAL_PROMPTS).
PROMPTS = ("I like", "Today the", "We saw a", "My friend said that")
SEEDS = (1, 2, 3, 4)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    # The pack is committed (demo_pack/): a missing one is a failure, not a skip.
    path = Path(settings.DEMO_PACK_DIR) / DEMO_MODEL_ID / "manifest.json"
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def corpus() -> Any:
    from workers.demo import corpus

    return corpus


@pytest.fixture(scope="module")
def demo_worker(
    manifest: dict[str, Any], django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    worker = spawn_worker(
        tmp_path_factory.mktemp("demo-worker"),
        "--model",
        DEMO_MODEL_ID,
        "--device",
        "cpu",
        "--no-default-queue",
        env={"DEMO_PACK_DIR": str(settings.DEMO_PACK_DIR)},
    )
    yield worker
    worker.kill()


@pytest.fixture
def demo_rows(db: None, manifest: dict[str, Any]) -> None:
    seed_users()
    model = make_model(DEMO_MODEL_ID, layers=manifest["n_layers"], dimension=manifest["d_model"])
    for source in manifest["sources"]:
        make_source(model, source["id"])


def test_steering_the_topic_feature_raises_the_topic_word_rate(
    api: APIClient,
    manifest: dict[str, Any],
    corpus: Any,
    demo_rows: None,
    demo_worker: WorkerProcess,
) -> None:
    topic = manifest["topic_features"][TOPIC]
    feature = {
        "modelId": DEMO_MODEL_ID,
        "layer": topic["recommended_source"],
        "index": topic["index"],
        "strength": topic["recommended_strength"],
    }
    steered, default = [], []
    for seed in SEEDS:
        for prompt in PROMPTS:
            body = {
                "modelId": DEMO_MODEL_ID,
                "features": [feature],
                "prompt": prompt,
                "temperature": 0.7,
                "n_tokens": 24,
                "freq_penalty": 0,
                "seed": seed,
                "strength_multiplier": 1,
            }
            response = api.post("/api/steer/", body, format="json")
            assert response.status_code == 200, response.json()
            steered.append(corpus.topic_word_rate(response.json()["STEERED"], TOPIC))
            default.append(corpus.topic_word_rate(response.json()["DEFAULT"], TOPIC))
    assert mean(steered) > mean(default) + 0.1, (steered, default)
    assert mean(steered) > 2 * mean(default), (steered, default)
    # Not a few lucky samples: steering wins for most (seed, prompt) pairs.
    assert sum(s > d for s, d in zip(steered, default, strict=True)) > len(steered) / 2
