"""The batch autointerp job: explain every feature of a source (or a list) with one explainer
and model, as one `AutointerpJob` row.

- At most `concurrency` features are explained at once (threads), and at most
  `requests_per_minute` LLM requests start in any 60 s window (retries included).
- Features already explained with the same type and model are skipped, so running a job again
  resumes it; a cancelled job stops between features.
- Progress (done, skipped, failed) and requests/tokens go to the row about once a second.
- A feature whose LLM requests fail for good is counted as failed (the last error is kept), and
  the job goes on; a job with no usable key fails at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from django.db import connection, transaction

from features import embedding_jobs
from features.autointerp import EXPLAINER_TYPES
from features.models import (
    AutointerpJob,
    Explanation,
    ExplanationModelType,
    Feature,
    ListsOnNeurons,
)
from neuronpedia_site import llm_keys
from neuronpedia_site.errors import ApiError
from workers.autointerp import examples as select
from workers.autointerp.explainers import EXPLAINERS
from workers.autointerp.jobs import feature_examples
from workers.autointerp.llm import LLMError, Usage, chat, client

WINDOW_SECONDS = 60.0
FLUSH_SECONDS = 1.0
State = AutointerpJob.State


class RateLimiter:
    """At most `per_window` requests in any `window` seconds, as the server counts them.

    A request holds its slot from `acquire` until `window` seconds after it ended (`release`),
    so however late it reaches the server, no window there sees more than `per_window`."""

    def __init__(self, per_window: int, window: float = WINDOW_SECONDS) -> None:
        self.per_window = max(per_window, 1)
        self.window = window
        self.slots: list[list[float]] = []  # [time the slot frees up - window]
        self.lock = threading.Lock()
        self.mine = threading.local()

    def acquire(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                self.slots = [s for s in self.slots if s[0] > now - self.window]
                if len(self.slots) < self.per_window:
                    slot = [float("inf")]  # busy until released
                    self.slots.append(slot)
                    self.mine.slot = slot
                    return
                wait_for = min(s[0] for s in self.slots) + self.window - now
            time.sleep(max(wait_for, 0.01))

    def release(self) -> None:
        slot = getattr(self.mine, "slot", None)
        if slot is not None:
            with self.lock:
                slot[0] = time.monotonic()
            self.mine.slot = None


def feature_indexes(job: AutointerpJob) -> list[str]:
    if job.list_id:
        rows = ListsOnNeurons.objects.filter(list_id=job.list_id, model_id=job.model_id)
        keys = rows.values_list("layer", "index")
        return [f"{layer}/{index}" for layer, index in keys]
    indexes = Feature.objects.filter(model_id=job.model_id, layer=job.source_id).values_list(
        "index", flat=True
    )
    return [f"{job.source_id}/{i}" for i in sorted(indexes, key=int)]


def _explained(job: AutointerpJob) -> set[str]:
    rows = Explanation.objects.filter(
        model_id=job.model_id,
        type_name_id=job.explanation_type,
        explanation_model_name_id=job.explanation_model,
    )
    if not job.list_id:
        rows = rows.filter(layer=job.source_id)
    return {f"{layer}/{index}" for layer, index in rows.values_list("layer", "index")}


def run(job_id: int) -> None:
    """Run (or resume) the job until every feature is explained, skipped or failed."""
    job = AutointerpJob.objects.get(id=job_id)
    if job.state in (State.DONE, State.CANCELLED):
        return
    if job.cancel_requested:
        AutointerpJob.objects.filter(id=job.id).update(state=State.CANCELLED)
        return
    explainer = EXPLAINERS[job.explanation_type]
    model_row = ExplanationModelType.objects.get(name=job.explanation_model)
    try:
        endpoint = llm_keys.explainer_endpoint(
            job.user, model_row.name, EXPLAINER_TYPES[job.explanation_type]
        )
    except ApiError as exc:
        AutointerpJob.objects.filter(id=job.id).update(state=State.FAILED, error=str(exc.detail))
        return
    model = llm_keys.model_id_for(endpoint, model_row.name, model_row.open_router_model_id)
    everything = feature_indexes(job)
    done_before = _explained(job)
    todo = [key for key in everything if key not in done_before]
    AutointerpJob.objects.filter(id=job.id).update(
        state=State.RUNNING,
        error="",
        features_total=len(everything),
        features_skipped=len(everything) - len(todo),
        features_done=0,
        features_failed=0,
    )
    limiter = RateLimiter(job.requests_per_minute)
    llm = client(endpoint)  # one HTTP client (and connection pool) for the whole job
    usage = Usage()
    counts = {"done": 0, "failed": 0}
    last_error: list[str] = []
    lock = threading.Lock()
    cancelled = threading.Event()

    def one(key: str) -> None:
        if cancelled.is_set():
            return
        layer, index = key.split("/", 1)
        try:
            explain_one(
                job, layer, index, explainer, endpoint, model, model_row.name, usage, limiter, llm
            )
            outcome = "done"
        except (LLMError, ApiError, Feature.DoesNotExist) as exc:
            outcome = "failed"
            with lock:
                last_error[:] = [getattr(exc, "message", None) or str(exc)]
        with lock:
            counts[outcome] += 1

    started = time.monotonic()
    base_seconds = job.seconds

    def flush() -> None:
        with lock:
            changes: dict[str, Any] = {
                "features_done": counts["done"],
                "features_failed": counts["failed"],
                "requests": job.requests + usage.requests,
                "prompt_tokens": job.prompt_tokens + usage.prompt_tokens,
                "completion_tokens": job.completion_tokens + usage.completion_tokens,
                "seconds": base_seconds + time.monotonic() - started,
            }
            if last_error:
                changes["error"] = last_error[0]
        AutointerpJob.objects.filter(id=job.id).update(**changes)
        if AutointerpJob.objects.filter(id=job.id, cancel_requested=True).exists():
            cancelled.set()

    pending: set[Future[None]] = set()
    queue = iter(todo)
    with ThreadPoolExecutor(max_workers=max(job.concurrency, 1)) as pool:
        _fill(pool, pending, queue, one, job.concurrency, cancelled)
        while pending:
            finished, pending = wait(pending, timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
            flush()
            _fill(pool, pending, queue, one, job.concurrency, cancelled)
        _close_connections(pool, max(job.concurrency, 1))
    flush()
    AutointerpJob.objects.filter(id=job.id).update(
        state=State.CANCELLED if cancelled.is_set() else State.DONE
    )
    embedding_jobs.kick()  # the new explanations become searchable by meaning


def _close_connections(pool: ThreadPoolExecutor, threads: int) -> None:
    """Close each pool thread's database connection (Django's are per thread): one task per
    thread, held at a barrier until all have started, so each runs on a different thread."""
    barrier = threading.Barrier(threads)

    def close() -> None:
        connection.close()
        barrier.wait(timeout=30)

    for future in [pool.submit(close) for _ in range(threads)]:
        future.result()


def _fill(
    pool: ThreadPoolExecutor,
    pending: set[Future[None]],
    queue: Any,
    one: Callable[[str], None],
    concurrency: int,
    cancelled: threading.Event,
) -> None:
    """Keep `concurrency` features in flight (no more, so a cancel stops the job quickly)."""
    while not cancelled.is_set() and len(pending) < max(concurrency, 1):
        key = next(queue, None)
        if key is None:
            return
        pending.add(pool.submit(one, key))


def explain_one(
    job: AutointerpJob,
    layer: str,
    index: str,
    explainer: Any,
    endpoint: llm_keys.Endpoint,
    model: str,
    model_name: str,
    usage: Usage,
    limiter: RateLimiter,
    llm: Any,
) -> None:
    feature = Feature.objects.get(model_id=job.model_id, layer=layer, index=index)
    chosen = select.for_explainer(feature_examples(job.model_id, layer, index), explainer.count)
    if not chosen:
        raise ApiError("No activations found for this neuron", status=400)
    description = chat(
        endpoint,
        model,
        explainer.build(chosen, list(feature.pos_str or []), model_name),
        explainer.parse,
        usage=usage,
        limiter=limiter,
        llm=llm,
        **explainer.params,
    )
    with transaction.atomic():
        exists = Explanation.objects.filter(
            model_id=job.model_id,
            layer=layer,
            index=index,
            type_name_id=job.explanation_type,
            explanation_model_name_id=model_name,
        ).exists()
        if not exists:
            Explanation.objects.create(
                model_id=job.model_id,
                layer=layer,
                index=index,
                description=description,
                author=job.user,
                triggered_by_user=job.user,
                type_name_id=job.explanation_type,
                explanation_model_name_id=model_name,
            )
