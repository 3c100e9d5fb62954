"""`generate_graph` on the tiny model: upstream's graph JSON, logit nodes that are the model's
top next tokens, clerps from explanations, and the 64-token limit."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from workers.errors import BadRequest
from workers.graphs.generate import GraphOptions, generate_graph

PROMPT = "The cat sat on the mat."
NODE_KEYS = ("node_id", "feature", "layer", "ctx_idx", "feature_type", "jsNodeId", "clerp")


def _no_explanations(keys: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    return {}


def _graph(graph_model: Any, **options: Any) -> dict[str, Any]:
    return generate_graph(
        graph_model, PROMPT, None, "tiny-graph", GraphOptions(**options), _no_explanations
    )


def test_the_graph_has_upstreams_required_shape(graph_model: Any) -> None:
    graph = _graph(graph_model)
    assert set(graph) >= {"metadata", "qParams", "nodes", "links"}
    meta = graph["metadata"]
    assert meta["slug"] == "tiny-graph"
    assert meta["scan"] == "tiny-demo"
    assert meta["prompt_tokens"][0] == "<|endoftext|>"
    assert "".join(meta["prompt_tokens"][1:]) == PROMPT
    assert meta["feature_details"] == {"neuronpedia_source_set": "tc-tiny"}
    assert meta["generation_settings"]["batch_size"] == 48
    assert meta["pruning_settings"] == {"node_threshold": 0.8, "edge_threshold": 0.98}
    assert meta["info"]["generator"]["name"] == "circuit-tracer"
    assert set(graph["qParams"]) >= {"pinnedIds", "supernodes", "linkType", "clickedId", "sg_pos"}
    for node in graph["nodes"]:
        assert all(key in node for key in NODE_KEYS)
        assert isinstance(node["layer"], str) and isinstance(node["ctx_idx"], int)
    types = {node["feature_type"] for node in graph["nodes"]}
    assert {"embedding", "logit", "cross layer transcoder"} <= types
    ids = {node["node_id"] for node in graph["nodes"]}
    assert graph["links"]
    for link in graph["links"]:
        assert link["source"] in ids and link["target"] in ids
        assert isinstance(link["weight"], float)


def test_logit_nodes_are_the_models_top_next_tokens(graph_model: Any) -> None:
    graph = _graph(graph_model, max_n_logits=5, desired_logit_prob=0.99)
    ids = graph_model.tokenizer(PROMPT, add_special_tokens=False)["input_ids"]
    with torch.inference_mode():
        logits = graph_model.model(torch.tensor([[graph_model.tokenizer.bos_token_id, *ids]]))
    probs = torch.softmax(logits[0, -1], -1)
    top = torch.topk(probs, 5)
    logit_nodes = [n for n in graph["nodes"] if n["feature_type"] == "logit"]
    assert [n["feature"] for n in logit_nodes] == top.indices.tolist()
    assert [n["token_prob"] for n in logit_nodes] == pytest.approx(top.values.tolist(), rel=1e-4)
    assert [n["is_target_logit"] for n in logit_nodes] == [True, False, False, False, False]


def test_feature_nodes_get_their_features_explanation(graph_model: Any) -> None:
    asked: list[list[tuple[str, int]]] = []

    def explanations(keys: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
        asked.append(keys)
        return {key: f"feature {key[1]} of {key[0]}" for key in keys[:1]}

    graph = generate_graph(graph_model, PROMPT, None, "s", GraphOptions(), explanations)
    features = [n for n in graph["nodes"] if n["feature_type"] == "cross layer transcoder"]
    (keys,) = asked
    source, index = keys[0]
    layer = int(source.split("-")[0])
    labelled = [n for n in features if n["node_id"].startswith(f"{layer}_{index}_")]
    assert labelled and all(n["clerp"] == f"feature {index} of {source}" for n in labelled)
    assert all(n["clerp"] == "" for n in features if n not in labelled)
    # every feature node's (layer, index) was asked for, under its transcoder's source id
    assert {(f"{n['layer']}-tc-tiny", int(n["node_id"].split("_")[1])) for n in features} == set(
        keys
    )


def test_a_prompt_over_64_tokens_is_a_400(graph_model: Any) -> None:
    with pytest.raises(BadRequest) as raised:
        generate_graph(graph_model, "cat " * 70, None, "s", GraphOptions(), _no_explanations)
    assert raised.value.status_code == 400
    assert "exceeds token limit" in raised.value.message


def test_chat_messages_need_a_chat_template(graph_model: Any) -> None:
    # The tiny tokenizer has none (the demo model's is used in test_graph_worker.py).
    with pytest.raises(BadRequest, match="no chat template"):
        generate_graph(
            graph_model,
            None,
            [{"role": "user", "content": "the cat"}],
            "chat",
            GraphOptions(),
            _no_explanations,
        )


@pytest.mark.parametrize(
    ("options", "message"),
    [({"node_threshold": 1.5}, "node_threshold"), ({"batch_size": 0}, "batch_size")],
)
def test_out_of_range_options_are_a_400(options: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        GraphOptions(**options)
