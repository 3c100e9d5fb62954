from __future__ import annotations

import time
import uuid

import pytest

from bus import claims, client, task_names
from bus.connections import redis_client
from bus.errors import WorkerError
from tests.support.tasks import SLEEP_THEN_RECORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_task_round_trips_through_redis_and_a_worker_process(start_worker) -> None:
    start_worker()
    assert (
        client.call(task_names.PING, {"payload": "hello"}, queue="default", timeout=30) == "hello"
    )


def test_calling_a_queue_nobody_serves_is_a_503_naming_the_queue() -> None:
    with pytest.raises(WorkerError) as info:
        client.call(task_names.PING, {}, queue="inference.nobody", timeout=30)
    assert info.value.status == 503
    assert "inference.nobody" in info.value.message


def test_a_task_is_redelivered_when_its_worker_is_killed(start_worker) -> None:
    # Redis redelivers an unacknowledged task once its visibility timeout has passed; a short
    # one keeps the test fast (production uses CELERY_VISIBILITY_TIMEOUT=3600).
    fast = {"CELERY_VISIBILITY_TIMEOUT": "3", "CELERY_RESTORE_INTERVAL": "1"}
    key = f"redelivery-{uuid.uuid4().hex}"
    doomed = start_worker(env=fast)
    client.send(SLEEP_THEN_RECORD, {"key": key, "seconds": 2.0})
    conn = redis_client()
    deadline = time.monotonic() + 30
    while conn.get(f"{key}:attempts") is None:
        assert time.monotonic() < deadline, doomed.log.read_text()
        time.sleep(0.05)
    doomed.kill()
    assert conn.get(f"{key}:done") is None
    start_worker(env=fast)
    deadline = time.monotonic() + 60
    while conn.get(f"{key}:done") is None:
        assert time.monotonic() < deadline, "task was not redelivered"
        time.sleep(0.1)
    assert int(conn.get(f"{key}:attempts")) == 2


def test_a_task_that_raises_is_a_502_json_error(start_worker) -> None:
    start_worker()
    with pytest.raises(WorkerError) as info:
        client.call(
            SLEEP_THEN_RECORD,
            {"key": "x", "seconds": "not a number"},
            queue="default",
            timeout=30,
        )
    assert info.value.status == 502
    assert "failed" in info.value.message


def test_a_call_that_outlasts_its_timeout_is_a_504_and_leaves_nothing_behind(start_worker) -> None:
    from bus import replies

    start_worker()
    key = f"late-{uuid.uuid4().hex}"
    conn = redis_client()
    with pytest.raises(WorkerError) as info:
        client.call(SLEEP_THEN_RECORD, {"key": key, "seconds": 2.5}, queue="default", timeout=1)
    assert info.value.status == 504
    # Ordering, not a clock: the caller gave up before the task had finished.
    assert conn.get(f"{key}:done") is None
    deadline = time.monotonic() + 30
    while conn.get(f"{key}:done") is None:  # the task still ran; its late reply waits unread
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    late = conn.keys(replies.KEY_PREFIX + "*")
    assert len(late) == 1 and 0 < conn.ttl(late[0]) <= replies.REPLY_TTL_SECONDS


def test_a_call_stores_no_celery_result_and_its_reply_is_consumed(start_worker) -> None:
    from bus import replies

    start_worker()
    assert client.call(task_names.PING, {"payload": [1, "two"]}, queue="default", timeout=30) == [
        1,
        "two",
    ]
    conn = redis_client()
    assert conn.keys("celery-task-meta-*") == []
    assert conn.keys(replies.KEY_PREFIX + "*") == []
    deadline = time.monotonic() + 5  # the worker releases the claim just after it replies
    while conn.keys(claims.KEY_PREFIX + "*"):
        assert time.monotonic() < deadline, "the task's claim was left behind"
        time.sleep(0.05)


def test_a_begun_task_runs_while_its_caller_does_other_work(start_worker) -> None:
    start_worker()
    key = f"begun-{uuid.uuid4().hex}"
    conn = redis_client()
    pending = client.begin(SLEEP_THEN_RECORD, {"key": key, "seconds": 0.2}, "default", timeout=30)
    deadline = time.monotonic() + 30
    while conn.get(f"{key}:done") is None:  # finished before anyone asked for its result
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert pending.result() == 1


def test_beginning_a_task_nobody_serves_is_a_503_at_once() -> None:
    with pytest.raises(WorkerError) as info:
        client.begin(task_names.PING, {}, queue="inference.nobody", timeout=30)
    assert info.value.status == 503
