"""`forward_pass`: the model's own next-token probabilities, as upstream's `/forward-pass`."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from workers.graphs.forward import forward_pass
from workers.model_dir import load_model_dir


def test_salient_logits_are_the_models_probabilities(graph_model: Any, model_dir: Any) -> None:
    plain = load_model_dir(model_dir)
    out = forward_pass(graph_model, "Paris is the capital of", None, max_n_logits=4)
    ids = [plain.tokenizer.bos_token_id, *plain.tokenizer("Paris is the capital of")["input_ids"]]
    with torch.inference_mode():
        probs = torch.softmax(plain(torch.tensor([ids]))[0, -1], -1)
    top = torch.topk(probs, 4)
    assert out["prompt"] == "Paris is the capital of"
    assert out["input_tokens"][0] == "<|endoftext|>"
    assert "".join(out["input_tokens"][1:]) == "Paris is the capital of"
    got = out["salient_logits"]
    assert [s["token_id"] for s in got] == top.indices.tolist()[: len(got)]
    assert [s["probability"] for s in got] == pytest.approx(top.values.tolist()[: len(got)], 1e-4)
    assert [s["token"] for s in got] == [
        plain.tokenizer.decode([i]) for i in top.indices[: len(got)]
    ]
    assert out["total_salient_tokens"] == len(got)
    assert out["cumulative_probability"] == pytest.approx(sum(s["probability"] for s in got))


def test_the_replacement_models_logits_equal_the_models(graph_model: Any, model_dir: Any) -> None:
    plain = load_model_dir(model_dir)
    ids = torch.tensor([[0, *plain.tokenizer("The dog ran")["input_ids"]]])
    with torch.inference_mode():
        assert torch.allclose(graph_model.model(ids), plain(ids), atol=1e-5)
