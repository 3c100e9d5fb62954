"""Inference tasks, on the model's queue `inference.<modelId>` (the web side names the queue
when it sends).

Each task answers through `serving.answer`, so errors come back as `{"error", "status"}`
results. Arguments are the runtime's snake_case names; the web side validates shapes first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from celery import shared_task

from bus import wire
from bus.claims import WAITED_FOR_TASK_OPTIONS
from workers import inference, serving
from workers.errors import BadRequest

if TYPE_CHECKING:
    from workers.runtime import ServedModel


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def tokenize(model: str, text: str, prepend_bos: bool | None = None) -> dict[str, Any]:
    """`{tokens, token_strings, prepend_bos}`."""
    return serving.answer(model, lambda s: inference.tokenize(s, text, prepend_bos))


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def activation_single(
    model: str,
    prompts: list[str],
    source: str | None = None,
    index: int | None = None,
    vector: list[float] | None = None,
    hook: str | None = None,
) -> dict[str, Any]:
    """`{results: [{activation, tokens, tokens_is_special}]}` of one feature, or of a raw vector
    at `hook` (exactly one of the two)."""

    def work(served: ServedModel) -> dict[str, Any]:
        if vector is not None and hook:
            return inference.activation_vector_batch(served, prompts, vector, hook)
        if source is not None and index is not None:
            return inference.activation_single_batch(served, prompts, source, index)
        raise BadRequest("Send either source and index, or vector and hook")

    return serving.answer(model, work)


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def activations_all(model: str, requests: list[dict[str, Any]]) -> dict[str, Any]:
    """`{results: [{activations, tokens, counts}]}` for search-all requests (SearchRequest
    fields), answered through the micro-batcher with other threads' requests; the first failing
    request fails the call. Each activation's `values` is packed (`bus.wire`)."""
    return serving.answer(
        model,
        lambda _: {"results": wire.pack_search(serving.search_batcher().submit_many(requests))},
    )


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def topk_by_token(
    model: str, prompts: list[str], source: str, top_k: int = 5, ignore_bos: bool = True
) -> dict[str, Any]:
    """`{results: [{results: [{token_position, token, is_special, top_features}], tokens}]}`."""
    return serving.answer(
        model, lambda s: inference.topk_by_token_batch(s, prompts, source, top_k, ignore_bos)
    )


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def source_activations(model: str, prompts: list[str], source: str) -> dict[str, Any]:
    """`{results: [{tokens, activeFeatures}]}`: every non-zero feature of one source."""
    return serving.answer(model, lambda s: inference.source_activations(s, prompts, source))


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def decoder_cossim_topk(
    model: str,
    source: str,
    num_results: int = 10,
    feature_index: int | None = None,
    vector: list[float] | None = None,
    target_source: str | None = None,
) -> dict[str, Any]:
    """`{feature?, topk_decoder_cossim_features: [{feature, cosine_similarity}]}`."""
    return serving.answer(
        model,
        lambda s: inference.decoder_cossim_topk(
            s, source, num_results, feature_index, vector, target_source
        ),
    )


@shared_task(**WAITED_FOR_TASK_OPTIONS)
def feature_vector(model: str, source: str, index: int) -> dict[str, Any]:
    """`{vector, hookName}`: a feature's decoder direction."""
    return serving.answer(model, lambda s: inference.feature_vector(s, source, index))
