"""The batch autointerp job: explain every feature of a source (or a list) with one explainer
and model, as one `AutointerpJob` row.

- At most `concurrency` features are explained at once (threads), and at most
  `requests_per_minute` LLM requests start in any 60 s window (retries included).
- Features already explained with the same type and model are skipped, so running a job again
  resumes it; a cancelled job stops between features.
- The threads only talk to the LLM, each taking its next feature from a queue the moment it
  is done with one (a feature waits there per thread). The job's own thread reads the
  features' examples ahead of them, many features per query, and saves the explanations
  that came back, all that finished since it last looked in one transaction. So the
  database's latency (a busy server, a remote one) never holds an LLM slot empty.
- Progress (done, skipped, failed) and requests/tokens go to the row as features finish,
  and `cancel_requested` is read then.
- A feature whose LLM requests fail for good is counted as failed (the last error is kept), and
  the job goes on; a job with no usable key fails at once.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction

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
from workers.autointerp.examples import Example
from workers.autointerp.explainers import EXPLAINERS
from workers.autointerp.jobs import NO_ACTIVATIONS, features_examples
from workers.autointerp.llm import LLMError, Usage, chat, client

WINDOW_SECONDS = 60.0
FLUSH_SECONDS = 1.0
READ_AHEAD = 4  # features read from the database ahead of the LLM, per thread
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


@dataclass(frozen=True)
class Item:
    """One feature to explain, read ahead: `pos_str` is None when the feature is missing."""

    layer: str
    index: str
    pos_str: list[str] | None
    examples: list[Example]


def read_ahead(model_id: str, keys: list[str]) -> list[Item]:
    """The features `keys` ("layer/index") with their examples: two queries per source."""
    by_layer: dict[str, list[str]] = {}
    for key in keys:
        layer, index = key.split("/", 1)
        by_layer.setdefault(layer, []).append(index)
    found: dict[tuple[str, str], Item] = {}
    for layer, indexes in by_layer.items():
        features = Feature.objects.filter(model_id=model_id, layer=layer, index__in=indexes)
        pos = {index: list(p or []) for index, p in features.values_list("index", "pos_str")}
        examples = features_examples(model_id, layer, indexes)
        for index in indexes:
            found[layer, index] = Item(layer, index, pos.get(index), examples.get(index, []))
    return [found[tuple(key.split("/", 1))] for key in keys]  # type: ignore[index]


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
    llm = client(endpoint)  # one HTTP client (and connection pool) for the whole job, closed after
    usage = Usage()
    counts = {"done": 0, "failed": 0}
    last_error: list[str] = []
    cancelled = threading.Event()
    threads = max(job.concurrency, 1)

    def one(item: Item) -> str | None:
        """The feature's explanation from the LLM (None if the job was cancelled first)."""
        if cancelled.is_set():
            return None
        if item.pos_str is None:
            raise Feature.DoesNotExist(f"Feature {item.layer}/{item.index} does not exist.")
        chosen = select.for_explainer(item.examples, explainer.count)
        if not chosen:
            raise ApiError(NO_ACTIVATIONS, status=400)
        description: str = chat(
            endpoint,
            model,
            explainer.build(chosen, item.pos_str, model_row.name),
            explainer.parse,
            usage=usage,
            limiter=limiter,
            llm=llm,
            **explainer.params,
        )
        return description

    started = time.monotonic()
    base_seconds = job.seconds

    def flush() -> None:
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

    items = _items(job.model_id, todo, READ_AHEAD * threads)
    inbox: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
    outbox: queue.SimpleQueue[tuple[Item, str | None, str]] = queue.SimpleQueue()

    def slot() -> None:
        """One LLM slot: explain features from `inbox` until told to stop (None); each goes
        back through `outbox` as (item, description, error)."""
        while (item := inbox.get()) is not None:
            try:
                outbox.put((item, one(item), ""))
            except (LLMError, ApiError, Feature.DoesNotExist) as exc:
                outbox.put((item, None, getattr(exc, "message", None) or str(exc)))
            except Exception as exc:  # a bug: reported on the row, not a job that never ends
                outbox.put((item, None, f"{type(exc).__name__}: {exc}"))

    slots = [threading.Thread(target=slot, name=f"autointerp-{job.id}-{n}") for n in range(threads)]
    queued = 2 * threads  # features handed out: one running and one waiting per slot
    handed = 0  # handed out and not back yet
    with llm:
        for thread in slots:
            thread.start()
        try:
            handed += _feed(inbox, items, queued - handed, cancelled)
            while handed:
                back = _collect(outbox, FLUSH_SECONDS)
                handed -= len(back)
                handed += _feed(inbox, items, queued - handed, cancelled)  # the slots first
                found = []
                for item, description, error in back:
                    if error:
                        counts["failed"] += 1
                        last_error[:] = [error]
                    elif description is not None:
                        found.append((item, description))
                save(job, found)
                counts["done"] += len(found)
                flush()
        finally:
            for _ in slots:
                inbox.put(None)
            for thread in slots:
                thread.join()
    flush()
    AutointerpJob.objects.filter(id=job.id).update(
        state=State.CANCELLED if cancelled.is_set() else State.DONE
    )
    embedding_jobs.kick()  # the new explanations become searchable by meaning


def _items(model_id: str, keys: list[str], chunk: int) -> Iterator[Item]:
    """The features to explain, read from the database `chunk` at a time."""
    left: deque[str] = deque(keys)
    while left:
        batch = [left.popleft() for _ in range(min(chunk, len(left)))]
        yield from read_ahead(model_id, batch)


def _feed(
    inbox: queue.SimpleQueue[Item | None],
    items: Iterator[Item],
    room: int,
    cancelled: threading.Event,
) -> int:
    """Hand out up to `room` more features (none once cancelled); how many were."""
    count = 0
    while count < room and not cancelled.is_set():
        item = next(items, None)
        if item is None:
            break
        inbox.put(item)
        count += 1
    return count


def _collect(
    outbox: queue.SimpleQueue[tuple[Item, str | None, str]], timeout: float
) -> list[tuple[Item, str | None, str]]:
    """What came back: waits up to `timeout` for the first, then takes all that are there."""
    try:
        back = [outbox.get(timeout=timeout)]
    except queue.Empty:
        return []
    while True:
        try:
            back.append(outbox.get_nowait())
        except queue.Empty:
            return back


def save(job: AutointerpJob, explained: list[tuple[Item, str]]) -> None:
    """The explanations in one transaction, less those saved meanwhile (by another job or
    a user) for the same feature, type and model."""
    if not explained:
        return
    same = Explanation.objects.filter(
        model_id=job.model_id,
        type_name_id=job.explanation_type,
        explanation_model_name_id=job.explanation_model,
        layer__in={item.layer for item, _ in explained},
        index__in={item.index for item, _ in explained},
    )
    with transaction.atomic():
        existing = set(same.values_list("layer", "index"))
        Explanation.objects.bulk_create(
            Explanation(
                model_id=job.model_id,
                layer=item.layer,
                index=item.index,
                description=description,
                author=job.user,
                triggered_by_user=job.user,
                type_name_id=job.explanation_type,
                explanation_model_name_id=job.explanation_model,
            )
            for item, description in explained
            if (item.layer, item.index) not in existing
        )
