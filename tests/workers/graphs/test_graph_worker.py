"""The graph tasks through a real worker process and the bus: the bundled demo model with its
`tc-demo` transcoders, and the tiny model served without transcoders (503 naming the model)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bus import client, registry, routing
from bus.errors import WorkerError
from bus.task_names import GRAPH_FORWARD_PASS, GRAPH_GENERATE, GRAPH_STEER
from tests.support.factories import make_explanation, make_feature, make_model, make_source
from tests.support.tiny_models import build_sae_root
from tests.support.worker_processes import WorkerProcess

TIMEOUT = 120
PROMPT = "The tyrannosaurus roamed the ancient plains. I like"


def _feature_nodes(graph: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in graph["nodes"] if n["feature_type"] == "cross layer transcoder"]


@pytest.mark.django_db(transaction=True)
def test_the_demo_worker_draws_graphs_labelled_with_our_explanations(
    start_worker: Callable[..., WorkerProcess],
) -> None:
    worker = start_worker("--model", "demo-lm", "--device", "cpu", "--no-default-queue", wait=240)
    (entry,) = [w for w in registry.live_workers() if w["hostname"] == worker.hostname]
    assert entry["graph_source_set"] == "tc-demo"
    live = routing.find("demo-lm", TIMEOUT)
    assert live is not None and live.graph_source_set == "tc-demo"
    assert {"0-tc-demo", "1-tc-demo"} <= set(live.sources)

    graph = live.call(GRAPH_GENERATE, prompt=PROMPT, slug="dino")
    assert graph["metadata"]["feature_details"] == {"neuronpedia_source_set": "tc-demo"}
    assert graph["metadata"]["scan"] == "demo-lm"
    features = _feature_nodes(graph)
    assert features and all(n["clerp"] == "" for n in features)

    # An explanation of one node's feature (newest first) labels that node in the next graph.
    layer, index, _ = features[0]["node_id"].split("_")
    model = make_model("demo-lm", layers=2, dimension=128)
    feature = make_feature(make_source(model, f"{layer}-tc-demo"), int(index))
    make_explanation(feature, "an older label")
    make_explanation(feature, "tyrannosaurus things")
    again = live.call(GRAPH_GENERATE, prompt=PROMPT, slug="dino")
    labelled = [n for n in _feature_nodes(again) if n["node_id"].startswith(f"{layer}_{index}_")]
    assert labelled and {n["clerp"] for n in labelled} == {"tyrannosaurus things"}

    forward = live.call(GRAPH_FORWARD_PASS, prompt=PROMPT, max_n_logits=5)
    logit_nodes = [n for n in graph["nodes"] if n["feature_type"] == "logit"]
    assert [s["token_id"] for s in forward["salient_logits"]] == [
        n["feature"] for n in logit_nodes
    ][: len(forward["salient_logits"])]

    chat = live.call(
        GRAPH_FORWARD_PASS, messages=[{"role": "user", "content": "tell me about dinosaurs"}]
    )
    assert chat["input_tokens"][:2] == ["<|endoftext|>", "<|im_start|>"]
    assert chat["prompt"].endswith("<|im_start|>assistant\n")

    steer = live.call(
        GRAPH_STEER,
        prompt=PROMPT,
        features=[
            {
                "layer": int(layer),
                "index": int(index),
                "token_active_position": features[0]["ctx_idx"],
                "steer_generated_tokens": True,
                "delta": 10.0,
            }
        ],
        n_tokens=4,
    )
    assert steer["DEFAULT_GENERATION"].startswith("<|endoftext|>" + PROMPT)

    with pytest.raises(WorkerError) as raised:
        live.call(GRAPH_GENERATE, prompt="dinosaur " * 70, slug="long")
    assert raised.value.status == 400
    assert "exceeds token limit" in str(raised.value)


@pytest.mark.django_db(transaction=True)
def test_a_model_without_transcoders_answers_503_naming_it(
    start_worker: Callable[..., WorkerProcess], model_dir: Path, tmp_path: Path
) -> None:
    saes = build_sae_root(tmp_path / "saes")
    start_worker(
        "--model",
        "tiny-demo",
        "--model-dir",
        str(model_dir),
        "--sae-dir",
        str(saes),
        "--device",
        "cpu",
        "--no-default-queue",
    )
    live = routing.find("tiny-demo", TIMEOUT)
    assert live is not None and live.graph_source_set is None
    with pytest.raises(WorkerError) as raised:
        live.call(GRAPH_GENERATE, prompt="The cat", slug="s")
    assert raised.value.status == 503
    assert "No transcoders for model tiny-demo" in str(raised.value)
    assert client.inference_queue("tiny-demo") == live.queue
