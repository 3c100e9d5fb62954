"""Micro-batching: many task threads submit requests, one model thread answers them in batches.

A model worker runs its Celery tasks on a thread pool, but the model itself runs one forward pass
at a time (`ServedModel.lock`). Neuronpedia's server serialises requests the same way, so eight
concurrent searches cost eight passes. Here concurrent searches are handed to one model thread,
which takes whatever is pending (up to `max_batch`) and answers them with one padded forward pass
(`activations_all_many`), then hands each caller its own result.

Requests that arrive while a pass runs share the next one without any waiting. Callers who came
together also come back together (each sends its next request once its answer is back), so
after a pass the model thread expects as many callers as were about during it (those it answered
and those already queued) and waits for the missing ones until a quarter of that pass
(`WAIT_SHARE`, and never more than `max_wait`) has gone by since it ended. A lone client asking
in turn is expected alone and never waits; a pass that finds its expected callers in starts at
once, and a request that comes after the window (the callers have gone) runs at once too.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

DEFAULT_MAX_BATCH = 8
DEFAULT_MAX_WAIT = 0.05  # seconds; WAIT_SHARE of the last pass usually bounds the wait first
# Waiting for latecomers at most this share of the last pass costs at most that share of the
# throughput when nobody comes, and a fuller batch saves a whole pass's fixed cost when they do
# (bench/README.md has the measurements, and the shares tried).
WAIT_SHARE = 0.25


@dataclass
class BatchStats:
    """Counters read by tests and the benchmark."""

    batches: int = 0
    items: int = 0
    largest: int = 0
    sizes: list[int] = field(default_factory=list)  # the last 100 batch sizes
    # Where an item's time goes inside the worker: queued (submitted until its pass began,
    # summed over items) and the passes themselves (summed over batches).
    queued_seconds: float = 0.0
    pass_seconds: float = 0.0
    # Batches that held back for callers expected back (a count, so tests need no clock).
    waits: int = 0

    def record(self, size: int, queued: float) -> None:
        self.batches += 1
        self.items += size
        self.largest = max(self.largest, size)
        self.sizes = [*self.sizes[-99:], size]
        self.queued_seconds += queued


class MicroBatcher(Generic[Item, Result]):
    """Run `handler` on batches of submitted items, in one background thread.

    `handler(items)` returns one entry per item, in order: its result, or an exception instance
    that is raised to that item's caller only. If `handler` itself raises, every item of the batch
    gets that exception.
    """

    def __init__(
        self,
        handler: Callable[[list[Item]], Sequence[Result | BaseException]],
        max_batch: int = DEFAULT_MAX_BATCH,
        max_wait: float = DEFAULT_MAX_WAIT,
        name: str = "np-batcher",
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        if max_wait < 0:
            raise ValueError(f"max_wait must not be negative, got {max_wait}")
        self.handler = handler
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.name = name
        self.stats = BatchStats()
        # (item, its caller's future, when it was submitted), or None to stop
        self._queue: queue.SimpleQueue[tuple[Item, Future[Result], float] | None] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._callers = 1  # callers about during the last pass: answered plus queued
        self._last_pass = 0.0  # seconds the last pass took
        self._last_end = 0.0  # when it ended (time.monotonic())

    def submit(self, item: Item) -> Result:
        """Block until `item` has been answered; raise its error if it had one."""
        return self.submit_many([item])[0]

    def submit_many(self, items: Sequence[Item]) -> list[Result]:
        """Queue several items (they may share batches with other callers); results in order.

        The first failing item's error is raised, after all of them have finished.
        """
        self._ensure_thread()
        futures: list[Future[Result]] = []
        for item in items:
            future: Future[Result] = Future()
            self._queue.put((item, future, time.monotonic()))
            futures.append(future)
        return [future.result() for future in futures]

    def close(self) -> None:
        """Stop the model thread once the items already queued are answered."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            # Wait for the callers expected back (see the module's docstring) until the
            # deadline; once they are in, take only what is already queued.
            expected = self._callers
            deadline = self._last_end + min(self.max_wait, WAIT_SHARE * self._last_pass)
            waited = False
            while len(batch) < self.max_batch:
                remaining = deadline - time.monotonic() if len(batch) < expected else 0.0
                waited = waited or remaining > 0
                try:
                    entry = (
                        self._queue.get(timeout=remaining)
                        if remaining > 0
                        else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
                if entry is None:
                    stopping = True
                    break
                batch.append(entry)
            self.stats.waits += waited
            self._answer(batch)

    def _answer(self, batch: list[tuple[Item, Future[Result], float]]) -> None:
        started = time.monotonic()
        self.stats.record(len(batch), sum(started - submitted for _, _, submitted in batch))
        try:
            results = list(self.handler([item for item, _, _ in batch]))
            self._last_end = time.monotonic()
            self._last_pass = self._last_end - started
            self.stats.pass_seconds += self._last_pass
            self._callers = len(batch) + self._queue.qsize()  # qsize: those who came meanwhile
            if len(results) != len(batch):
                raise RuntimeError(f"handler answered {len(results)} of {len(batch)} items")
        except BaseException as error:  # every caller must be woken, whatever happened
            log.exception("batch of %d failed", len(batch))
            for _, future, _ in batch:
                future.set_exception(error)
            return
        for (_, future, _), result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    def describe(self) -> dict[str, Any]:
        return {
            "max_batch": self.max_batch,
            "max_wait_ms": round(self.max_wait * 1000, 3),
            "batches": self.stats.batches,
            "items": self.stats.items,
            "largest": self.stats.largest,
            "recent": self.stats.sizes[-16:],
            "waits": self.stats.waits,
            "queued_ms": round(self.stats.queued_seconds * 1000, 3),
            "pass_ms": round(self.stats.pass_seconds * 1000, 3),
        }
