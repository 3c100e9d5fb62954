"""workers.batcher.MicroBatcher: concurrent submissions share batches, errors stay per item."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from workers.batcher import MicroBatcher


def test_requests_that_arrive_while_the_model_is_busy_share_the_next_batch() -> None:
    seen: list[list[int]] = []
    busy, release = threading.Event(), threading.Event()

    def handler(items: list[int]) -> list[int]:
        busy.set()
        release.wait(5)  # hold the first batch so the others pile up behind it
        seen.append(items)
        return [i * 10 for i in items]

    batcher = MicroBatcher(handler, max_batch=8, max_wait=0.001)
    with ThreadPoolExecutor(9) as pool:
        first = pool.submit(batcher.submit, 0)
        assert busy.wait(5)
        rest = [pool.submit(batcher.submit, i) for i in range(1, 9)]
        time.sleep(0.2)
        release.set()
        results = [f.result(5) for f in [first, *rest]]
    batcher.close()
    assert results == [i * 10 for i in range(9)]
    assert seen[0] == [0] and sorted(seen[1]) == list(range(1, 9))
    assert batcher.stats.largest == 8 and batcher.stats.items == 9


def test_a_lone_request_waits_at_most_max_wait() -> None:
    batcher = MicroBatcher(lambda items: items, max_batch=8, max_wait=0.05)
    started = time.monotonic()
    assert batcher.submit("x") == "x"
    assert time.monotonic() - started < 1.0
    batcher.close()


def test_an_item_error_reaches_only_its_caller() -> None:
    def handler(items: list[int]) -> list[object]:
        return [ValueError(f"bad {i}") if i < 0 else i for i in items]

    batcher = MicroBatcher(handler, max_wait=0.01)
    assert batcher.submit_many([1, 2]) == [1, 2]
    with pytest.raises(ValueError, match="bad -1"):
        batcher.submit_many([3, -1])
    batcher.close()


def test_a_failing_handler_fails_the_whole_batch_and_the_thread_goes_on() -> None:
    calls = 0

    def handler(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("model crashed")
        return items

    batcher = MicroBatcher(handler, max_wait=0)
    with pytest.raises(RuntimeError, match="model crashed"):
        batcher.submit(1)
    assert batcher.submit(2) == 2
    batcher.close()


def test_it_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError):
        MicroBatcher(lambda items: items, max_batch=0)
    with pytest.raises(ValueError):
        MicroBatcher(lambda items: items, max_wait=-1)
