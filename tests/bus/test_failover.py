"""A worker killed mid-request: its callers are answered by another worker of the queue within
seconds, or get a 503 naming the queue when none is left (bus.client, bus.claims)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from bus import client, frames, registry, task_names
from bus.connections import redis_client
from bus.errors import WorkerError
from tests.support.tasks import SLOW_FIRST_RUN, SLOW_FIRST_STREAM
from tests.support.worker_processes import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE = "default"
# As inference workers run (`run_worker --model`): tasks on threads, while the main thread
# talks to the broker. A solo worker acknowledges even an early-acknowledged task only when it
# returns, since the task blocks its event loop.
THREADS = ("--pool", "threads", "--concurrency", "2")
# The goal: every request completes (or fails clearly) within this long of the kill.
AFTER_KILL_SECONDS = 10
# Redis hands a killed worker's unacknowledged task to another worker after the visibility
# timeout: here after 12 s rather than hours, so the test sees whether that happens; and later
# than AFTER_KILL_SECONDS, so that redelivery cannot pass for failover.
REDELIVERY_SECONDS = 12
REDELIVERY = {"CELERY_VISIBILITY_TIMEOUT": str(REDELIVERY_SECONDS), "CELERY_RESTORE_INTERVAL": "1"}


def _runs(key: str) -> list[str]:
    runs = redis_client().lrange(f"{key}:runs", 0, -1)
    assert isinstance(runs, list)
    return [run.decode() if isinstance(run, bytes) else run for run in runs]


def _kill_first_runner(key: str, workers: list[WorkerProcess]) -> WorkerProcess:
    """SIGKILL the worker running the first run of the task recorded under `key`."""
    deadline = time.monotonic() + 30
    while not _runs(key):
        assert time.monotonic() < deadline, "no worker took the task"
        time.sleep(0.05)
    [runner] = [w for w in workers if w.hostname == _runs(key)[0]]
    runner.kill()
    return runner


def _in_thread(work: Callable[[], Any]) -> Future[Any]:
    return ThreadPoolExecutor(max_workers=1).submit(work)


def test_a_call_whose_worker_is_killed_is_answered_by_the_other_worker(start_worker) -> None:
    workers = [start_worker(*THREADS, env=REDELIVERY), start_worker(*THREADS, env=REDELIVERY)]
    key = f"failover-{uuid.uuid4().hex}"
    answer = _in_thread(
        lambda: client.call(SLOW_FIRST_RUN, {"key": key, "seconds": 60}, QUEUE, timeout=60)
    )
    killed = _kill_first_runner(key, workers)
    killed_at = time.monotonic()
    [survivor] = [w for w in workers if w is not killed]

    assert answer.result(timeout=AFTER_KILL_SECONDS) == survivor.hostname
    assert time.monotonic() - killed_at < AFTER_KILL_SECONDS
    # The killed worker's copy was acknowledged when it started: it is not handed out again
    # once the visibility timeout has passed, to run for a caller that has its answer.
    time.sleep(REDELIVERY_SECONDS + 3 - (time.monotonic() - killed_at))
    assert _runs(key) == [killed.hostname, survivor.hostname]


def test_a_call_whose_only_worker_is_killed_is_a_503_naming_the_queue(start_worker) -> None:
    worker = start_worker(*THREADS)
    key = f"failover-{uuid.uuid4().hex}"
    answer = _in_thread(
        lambda: client.call(SLOW_FIRST_RUN, {"key": key, "seconds": 60}, QUEUE, timeout=60)
    )
    _kill_first_runner(key, [worker])

    with pytest.raises(WorkerError) as info:
        answer.result(timeout=AFTER_KILL_SECONDS)
    assert info.value.status == 503
    assert f"'{QUEUE}'" in info.value.message
    assert "stopped" in info.value.message
    assert info.value.extra == {"queue": QUEUE}


def test_a_stream_whose_worker_is_killed_starts_over_on_the_other_worker(start_worker) -> None:
    workers = [start_worker(*THREADS), start_worker(*THREADS)]
    key = f"failover-{uuid.uuid4().hex}"
    messages = client.stream(SLOW_FIRST_STREAM, {"key": key, "seconds": 60}, QUEUE, timeout=60)
    first = next(messages)
    killed = _kill_first_runner(key, workers)
    killed_at = time.monotonic()
    [survivor] = [w for w in workers if w is not killed]

    rest = _in_thread(lambda: list(messages)).result(timeout=AFTER_KILL_SECONDS)
    assert time.monotonic() - killed_at < AFTER_KILL_SECONDS
    assert first == {"kind": frames.FRAME, "data": {"hostname": killed.hostname, "run": 1}}
    again = {"hostname": survivor.hostname, "run": 2}
    assert rest == [{"kind": frames.FRAME, "data": again}, {"kind": frames.DONE, "data": again}]


def test_a_stream_whose_only_worker_is_killed_ends_in_a_503(start_worker) -> None:
    worker = start_worker(*THREADS)
    key = f"failover-{uuid.uuid4().hex}"
    messages = client.stream(SLOW_FIRST_STREAM, {"key": key, "seconds": 60}, QUEUE, timeout=60)
    assert next(messages)["kind"] == frames.FRAME
    worker.kill()

    with pytest.raises(WorkerError) as info:
        _in_thread(lambda: list(messages)).result(timeout=AFTER_KILL_SECONDS)
    assert info.value.status == 503
    assert f"'{QUEUE}'" in info.value.message


def _announce(hostname: str, queue: str) -> None:
    registry.announce(
        registry.WorkerInfo(
            hostname=hostname, queues=[queue], model_id=None, sources=[], pid=1, seen_at=0.0
        )
    )


def test_a_task_taken_by_a_worker_that_died_before_claiming_it_is_sent_again() -> None:
    # A worker killed between taking the message from Redis and its `task_received` signal
    # leaves no claim. Two registry entries stand for the workers of a queue nobody consumes,
    # and the test takes the message as the dying worker's consumer would (BRPOP).
    queue = f"failover-{uuid.uuid4().hex}"
    survivor, dying = f"{queue}-a@host", f"{queue}-b@host"
    _announce(survivor, queue)
    _announce(dying, queue)
    watch = client.send_watched(task_names.PING, {}, queue, expires=60, headers={})
    assert watch.worker_died() is False  # waiting in the queue

    registry.withdraw(dying)
    assert watch.worker_died() is False  # a worker died, but the task still waits

    _announce(dying, queue)
    assert watch.worker_died() is False
    assert redis_client().brpop([queue], timeout=5) is not None
    registry.withdraw(dying)
    assert watch.worker_died() is True
