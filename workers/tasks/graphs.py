"""Attribution-graph tasks, on the model's queue `inference.<modelId>`: the graph server's
`/generate-graph`, `/forward-pass`, `/steer` and `/parse-chat-prompt` (upstream's `apps/graph`),
answered by the worker that serves the model when it has transcoders (otherwise a 503 naming the
model).

Each task answers through `serving.answer`, so errors come back as `{"error", "status"}`.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from bus.claims import WAITED_FOR_TASK_OPTIONS
from workers import serving
from workers.graphs import clerps
from workers.graphs.chat_prompt import parse_chat_prompt as run_parse_chat_prompt
from workers.graphs.forward import forward_pass as run_forward_pass
from workers.graphs.generate import GraphOptions
from workers.graphs.generate import generate_graph as run_generate_graph
from workers.graphs.steer import SteerSettings
from workers.graphs.steer import steer_logits as run_steer_logits


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def generate_graph(
    model: str,
    slug: str,
    prompt: str | None = None,
    messages: list[dict[str, Any]] | None = None,
    max_n_logits: int = 10,
    desired_logit_prob: float = 0.95,
    node_threshold: float = 0.8,
    edge_threshold: float = 0.98,
    max_feature_nodes: int = 10000,
    batch_size: int = 48,
) -> dict[str, Any]:
    """The pruned graph JSON (upstream's graph schema), feature nodes' `clerp` from our
    explanations; 400 for a prompt over 64 tokens."""

    def work(_: Any) -> dict[str, Any]:
        graph_model = serving.graph_model()
        options = GraphOptions(
            max_n_logits=max_n_logits,
            desired_logit_prob=desired_logit_prob,
            node_threshold=node_threshold,
            edge_threshold=edge_threshold,
            max_feature_nodes=max_feature_nodes,
            batch_size=batch_size,
        )
        return run_generate_graph(
            graph_model,
            prompt,
            messages,
            slug,
            options,
            lambda keys: clerps.newest_explanations(graph_model.model_id, keys),
        )

    return serving.answer(model, work)


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def forward_pass(
    model: str,
    prompt: str | None = None,
    messages: list[dict[str, Any]] | None = None,
    max_n_logits: int = 10,
    desired_logit_prob: float = 0.95,
) -> dict[str, Any]:
    """`{prompt, input_tokens, salient_logits, total_salient_tokens, cumulative_probability}`."""
    return serving.answer(
        model,
        lambda _: run_forward_pass(
            serving.graph_model(), prompt, messages, max_n_logits, desired_logit_prob
        ),
    )


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def steer_logits(
    model: str,
    features: list[dict[str, Any]],
    prompt: str | None = None,
    messages: list[dict[str, Any]] | None = None,
    n_tokens: int = 10,
    top_k: int = 5,
    temperature: float = 0.0,
    freq_penalty: float = 0.0,
    seed: int | None = None,
    freeze_attention: bool = False,
) -> dict[str, Any]:
    """Upstream's `/steer` answer: `DEFAULT_GENERATION`, `STEERED_GENERATION`,
    `DEFAULT_LOGITS_BY_TOKEN`, `STEERED_LOGITS_BY_TOKEN`."""

    def work(_: Any) -> dict[str, Any]:
        settings = SteerSettings(n_tokens, top_k, temperature, freq_penalty, seed, freeze_attention)
        return run_steer_logits(serving.graph_model(), prompt, messages, features, settings)

    return serving.answer(model, work)


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def parse_chat_prompt(model: str, prompt: str) -> dict[str, Any]:
    """`{messages, is_chat, prompt, unsteerable_positions}`: the chat turns behind a rendered
    graph prompt (None for plain text), by the graph model's tokenizer and chat template."""
    return serving.answer(
        model, lambda _: run_parse_chat_prompt(serving.graph_model().tokenizer, prompt)
    )
