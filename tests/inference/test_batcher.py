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


def test_requests_one_at_a_time_are_not_held_back_by_max_wait() -> None:
    batcher = MicroBatcher(lambda items: items, max_batch=8, max_wait=0.5)
    started = time.monotonic()
    for i in range(4):
        assert batcher.submit(i) == i
    # waiting for latecomers would cost 0.5 s per request here
    assert time.monotonic() - started < 0.4
    assert batcher.stats.sizes == [1, 1, 1, 1]
    batcher.close()


def test_after_a_shared_batch_a_request_waits_for_latecomers() -> None:
    gate = threading.Event()

    def handler(items: list[int]) -> list[int]:
        gate.wait(5)  # the first call holds the model so that callers pile up behind it
        return items

    batcher = MicroBatcher(handler, max_batch=8, max_wait=0.3)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(batcher.submit, 0)
        time.sleep(0.05)
        burst = [pool.submit(batcher.submit, i) for i in (1, 2)]
        time.sleep(0.05)
        gate.set()
        assert [f.result(5) for f in (first, *burst)] == [0, 1, 2]
        assert batcher.stats.sizes == [1, 2]  # callers came together: wait from now on
        late = [pool.submit(batcher.submit, 3)]
        time.sleep(0.05)  # well inside max_wait after the first of these arrived
        late.append(pool.submit(batcher.submit, 4))
        assert [f.result(5) for f in late] == [3, 4]
    assert batcher.stats.sizes == [1, 2, 2]
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
