"""workers.batcher.MicroBatcher: concurrent submissions share batches, errors stay per item."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest

from workers.batcher import WAIT_SHARE, MicroBatcher


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
    batcher: MicroBatcher[int, int] = MicroBatcher(lambda items: items, max_batch=8, max_wait=0.5)
    for i in range(4):
        assert batcher.submit(i) == i
    # a lone caller is expected alone: no pass held back for a latecomer
    assert batcher.stats.waits == 0
    assert batcher.stats.sizes == [1, 1, 1, 1]
    batcher.close()


PASS = 0.4  # seconds each pass takes in the tests below: the wait is WAIT_SHARE of it


def slow_echo(items: list[int], seconds: float = PASS) -> list[int]:
    time.sleep(seconds)
    return items


def one_then_two_callers(batcher: MicroBatcher[int, int], pass_seconds: float) -> None:
    """One caller finds the model idle; two more come while its pass runs; none comes back."""
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(batcher.submit, 0)
        time.sleep(pass_seconds / 4)
        others = [pool.submit(batcher.submit, i) for i in (1, 2)]
        assert first.result(5) == 0 and [f.result(5) for f in others] == [1, 2]


def test_callers_who_came_together_are_waited_for() -> None:
    # One caller finds the model idle; three more come while its pass runs. After that pass four
    # callers are about, and the first comes straight back: the next pass waits for it.
    batcher = MicroBatcher(slow_echo, max_batch=8, max_wait=5)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(lambda: [batcher.submit(0), batcher.submit(4)])
        time.sleep(PASS / 4)
        others = [pool.submit(batcher.submit, i) for i in (1, 2, 3)]
        assert first.result(5) == [0, 4] and [f.result(5) for f in others] == [1, 2, 3]
    # without the wait: [1], [1, 2, 3] and the returning caller alone
    assert batcher.stats.sizes == [1, 4]
    batcher.close()


def test_the_wait_is_a_share_of_the_last_pass_not_max_wait() -> None:
    # Three callers are about after the first pass, but the first never comes back: the other
    # two wait for it a quarter of a pass (not the 5 s of max_wait), then go on as two.
    batcher = MicroBatcher(slow_echo, max_batch=8, max_wait=5)
    started = time.monotonic()
    one_then_two_callers(batcher, PASS)
    elapsed = time.monotonic() - started
    assert batcher.stats.sizes == [1, 2] and batcher.stats.waits == 1
    # The lower bound is the wait itself (load only adds to it); waiting max_wait instead would
    # take 2 * PASS + 5 s, far beyond the upper bound, which leaves seconds for a loaded machine.
    assert 2 * PASS + WAIT_SHARE * PASS * 0.9 <= elapsed < 2 * PASS + 3.0
    batcher.close()


def test_a_request_after_the_window_does_not_wait_for_callers_who_left() -> None:
    slow = 2 * PASS  # a longer pass, so that a wait would stand out from scheduling noise
    batcher = MicroBatcher(partial(slow_echo, seconds=slow), max_batch=8, max_wait=5)
    one_then_two_callers(batcher, slow)
    # Two callers were about at the end of the last pass; they have gone for longer than the
    # window (a quarter of a pass after it ended), so a new request runs at once.
    time.sleep(slow / 2)
    waits = batcher.stats.waits
    assert batcher.submit(3) == 3
    assert batcher.stats.waits == waits  # the new request's pass did not hold back
    assert batcher.stats.sizes == [1, 2, 1]
    batcher.close()


def test_stats_split_an_items_time_into_queued_and_pass() -> None:
    batcher = MicroBatcher(slow_echo, max_batch=8, max_wait=0)
    one_then_two_callers(batcher, PASS)  # the two came PASS/4 in, so each queued 3/4 of it
    batcher.close()
    stats = batcher.describe()
    assert stats["recent"] == [1, 2]
    assert 2 * PASS * 1000 <= stats["pass_ms"] < 2 * PASS * 1000 + 150
    assert 2 * 0.75 * PASS * 1000 - 50 <= stats["queued_ms"] < 2 * 0.75 * PASS * 1000 + 150


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
