"""Celery tasks. Each is a thin wrapper around a plain function in a noun module.

The web process imports this module too (task discovery), so nothing here imports torch at
module level: `workers.inference` and `workers.serving` load the runtime on first use.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from celery import shared_task

from workers import inference, serving, wire
from workers.errors import BadRequest

if TYPE_CHECKING:
    from workers.runtime import ServedModel

# Dashboards of a large SAE over a large corpus take hours; the default hard limit would kill them.
DASHBOARDS_TIME_LIMIT = 7 * 24 * 3600


@shared_task(name="workers.tasks.ping")
def ping(payload: str = "pong") -> str:
    """Round-trip check used by the health command and tests."""
    return payload


@shared_task(name="workers.tasks.sleep_then_record", acks_late=True)
def sleep_then_record(key: str, seconds: float) -> int:
    """Test helper for redelivery: counts attempts in Redis, then sleeps, then records completion.

    Used by tests that SIGKILL a worker mid-task and check the task runs again elsewhere.
    """
    from workers.registry import connection

    conn = connection()
    attempt = int(conn.incr(f"{key}:attempts"))
    time.sleep(seconds)
    conn.set(f"{key}:done", attempt)
    return attempt


# -- inference (queue inference.<modelId>; the web side names the queue when it sends) ----------
#
# Each task answers through `serving.answer`, so errors come back as `{"error", "status"}`
# results. Arguments are the runtime's snake_case names; the web side validates shapes first.


@shared_task(name="workers.tasks.tokenize")
def tokenize(model: str, text: str, prepend_bos: bool | None = None) -> dict[str, Any]:
    """`{tokens, token_strings, prepend_bos}`."""
    return serving.answer(model, lambda s: inference.tokenize(s, text, prepend_bos))


@shared_task(name="workers.tasks.activation_single")
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


@shared_task(name="workers.tasks.activations_all")
def activations_all(model: str, requests: list[dict[str, Any]]) -> dict[str, Any]:
    """`{results: [{activations, tokens, counts}]}` for search-all requests (SearchRequest
    fields), answered through the micro-batcher with other threads' requests; the first failing
    request fails the call. Each activation's `values` is packed (`workers.wire`)."""
    return serving.answer(
        model,
        lambda _: {"results": wire.pack_search(serving.search_batcher().submit_many(requests))},
    )


@shared_task(name="workers.tasks.topk_by_token")
def topk_by_token(
    model: str, prompts: list[str], source: str, top_k: int = 5, ignore_bos: bool = True
) -> dict[str, Any]:
    """`{results: [{results: [{token_position, token, is_special, top_features}], tokens}]}`."""
    return serving.answer(
        model, lambda s: inference.topk_by_token_batch(s, prompts, source, top_k, ignore_bos)
    )


@shared_task(name="workers.tasks.source_activations")
def source_activations(model: str, prompts: list[str], source: str) -> dict[str, Any]:
    """`{results: [{tokens, activeFeatures}]}`: every non-zero feature of one source."""
    return serving.answer(model, lambda s: inference.source_activations(s, prompts, source))


@shared_task(name="workers.tasks.decoder_cossim_topk")
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


@shared_task(name="workers.tasks.feature_vector")
def feature_vector(model: str, source: str, index: int) -> dict[str, Any]:
    """`{vector, hookName}`: a feature's decoder direction."""
    return serving.answer(model, lambda s: inference.feature_vector(s, source, index))


@shared_task(name="workers.tasks.worker_status")
def worker_status() -> dict[str, Any]:
    """What this worker serves and how its search batches went (what the registry shows, but
    current rather than as of the last heartbeat)."""
    return serving.describe()


@shared_task(
    name="workers.tasks.generate_dashboards",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=DASHBOARDS_TIME_LIMIT,
    soft_time_limit=DASHBOARDS_TIME_LIMIT - 60,
)
def generate_dashboards(config: dict[str, Any], load: bool = False) -> dict[str, Any]:
    """Run a dashboards job (`workers.dashboards.DashboardConfig` as a dict); a redelivered task
    resumes from the job's checkpoint. With `load`, the export is then loaded into the database.
    """
    from workers.dashboards import DashboardConfig
    from workers.dashboards import generate_dashboards as run

    result = run(DashboardConfig.from_dict(config), progress=False).to_dict()
    if load:
        from workers.dashboards_db import load_export_dir

        loaded = load_export_dir(result["out"], result["model_id"], result["source"])
        result["loaded"] = {"via": loaded.via, "rows": loaded.rows}
    return result


# Steering tasks live in their own module; importing it registers them with Celery.
from workers import steer_tasks  # noqa: E402, F401
