"""The web side's only door to the workers: send tasks by name, never import them.

Web processes must not import torch, so tasks are addressed by their registered names
(`bus.task_names`) and their queues. `call` waits for the answer on a reply list of its own
(`bus.replies`) and `stream` relays what the task publishes on a channel (`bus.frames`); tasks
sent with `send` keep their result in Celery's result backend.

Failover: the tasks a caller waits for are short and read-only. The worker that receives one
writes its hostname to the task's claim (`bus.claims`); every WATCH_SECONDS without an answer
the caller checks that worker's heartbeat (`bus.registry`). When it has died, the task is sent
again, with a fresh reply list or channel, so a late answer of the first attempt reaches no one;
when no live worker of the queue is left, the caller gets a 503 naming the queue.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Generator
from typing import Any

from bus import claims, frames, registry, replies
from bus.connections import celery_app, redis_client
from bus.errors import WorkerError

DEFAULT_QUEUE = "default"
INFERENCE_QUEUE_PREFIX = "inference."
# Query embeddings for explanation search: short tasks, kept off the default queue so a long
# job there never holds a search up (`run_worker --queues embed`).
EMBED_QUEUE = "embed"
# A waiting caller checks this often that the worker holding its task is alive.
WATCH_SECONDS = 1


def inference_queue(model_id: str) -> str:
    """One queue per served model: every worker for that model consumes it."""
    return f"{INFERENCE_QUEUE_PREFIX}{model_id}"


def no_worker_error(queue: str, reason: str = "") -> WorkerError:
    """503 naming the queue and the command that starts a worker for it."""
    if queue.startswith(INFERENCE_QUEUE_PREFIX):
        start = f"--model {queue.removeprefix(INFERENCE_QUEUE_PREFIX)}"
    else:
        start = f"--queues {queue}"
    return WorkerError(
        f"{reason}No worker is serving the queue '{queue}'. Start one with: "
        f"python manage.py run_worker {start}",
        status=503,
        extra={"queue": queue},
    )


def require_worker(queue: str) -> None:
    """503 naming the command to start, unless a live worker consumes `queue`."""
    if not registry.workers_for_queue(queue):
        raise no_worker_error(queue)


def send(name: str, kwargs: dict[str, Any], queue: str = DEFAULT_QUEUE) -> str:
    """Fire and forget; returns the task id."""
    return celery_app().send_task(name, kwargs=kwargs, queue=queue).id


class Watch:
    """One attempt of a task a caller waits for: is the worker that took it still alive?"""

    def __init__(self, claim: str, queue: str) -> None:
        self.claim = claim
        self.queue = queue
        self._workers_seen: set[str] | None = None

    def worker_died(self) -> bool:
        """Whether the task must be sent again: the worker that took it has died. A 503 when no
        live worker of the queue is left to take it."""
        live = {worker["hostname"] for worker in registry.workers_for_queue(self.queue)}
        taken_by = claims.holder(self.claim)
        if not live:
            raise no_worker_error(
                self.queue, "The worker running this request stopped. " if taken_by else ""
            )
        if taken_by is not None:
            return taken_by not in live
        # Not claimed: the task waits in the queue, unless a worker took it and died before it
        # could claim it (between taking the message and the `task_received` signal). Only a
        # worker that has died since the last look could have, so only then look in the queue.
        seen, self._workers_seen = self._workers_seen, live
        if seen is None or seen <= live:
            return False
        return not _still_queued(self.queue, self.claim) and claims.holder(self.claim) is None


def _still_queued(queue: str, claim: str) -> bool:
    """Whether the task claimed as `claim` still waits in `queue`. The broker is the bus's Redis
    database (`CELERY_BROKER_URL` is made from `REDIS_URL`), and kombu's Redis transport keeps a
    queue's messages (at the default priority, which these tasks have) in a list named after
    the queue, with the headers in plain JSON."""
    waiting = redis_client().lrange(queue, 0, -1)
    assert isinstance(waiting, list)  # a synchronous client
    return any(claim.encode() in message for message in waiting)


def send_watched(
    name: str, kwargs: dict[str, Any], queue: str, expires: float, headers: dict[str, str]
) -> Watch:
    """Send one attempt of a task the caller waits for. A worker that gets the message after
    `expires` seconds drops it: its caller has gone."""
    claim = claims.new_key()
    celery_app().send_task(
        name,
        kwargs=kwargs,
        queue=queue,
        ignore_result=True,
        expires=max(expires, 1.0),
        headers={claims.CLAIM_HEADER: claim, **headers},
    )
    return Watch(claim, queue)


def call(
    name: str,
    kwargs: dict[str, Any],
    queue: str,
    timeout: float,
    checked: bool = False,
) -> Any:
    """Run a task on a live worker of `queue` and wait for its result (`bus.replies`: the
    worker pushes it to a list named in the task's headers; 504 after `timeout` seconds in all,
    502 when the task raised; sent again when its worker dies, see the module's docstring).

    Errors raised by the worker as `{"error": message, "status": code}` results come back as
    WorkerError with that status, so bad input found on the worker is still a clear 4xx.
    `checked`: the caller has just found a live worker of `queue` in the registry.
    """
    return begin(name, kwargs, queue, timeout, checked).result()


class PendingCall:
    """A task sent by `begin`, whose result the caller takes later with `result()`: the caller
    does other work while the worker runs it. The `timeout` runs from `begin`."""

    def __init__(self, name: str, kwargs: dict[str, Any], queue: str, timeout: float) -> None:
        self.name = name
        self.kwargs = kwargs
        self.queue = queue
        self.deadline = time.monotonic() + timeout
        self._attempt: tuple[str, Watch] | None = self._send()

    def _send(self) -> tuple[str, Watch]:
        key = f"{replies.KEY_PREFIX}{uuid.uuid4().hex}"
        remaining = self.deadline - time.monotonic()
        watch = send_watched(
            self.name, self.kwargs, self.queue, remaining, {replies.REPLY_HEADER: key}
        )
        return key, watch

    def result(self) -> Any:
        """Wait for the task's result, as `call` does (504, 502, a worker's 4xx, failover)."""
        reply = None
        while reply is None:
            if self._attempt is None:
                self._attempt = self._send()
            reply = self._wait(*self._attempt)
            if reply is None:  # the worker that took it died: send it again
                self._attempt = None
        if "failed" in reply:
            raise WorkerError(f"The worker on '{self.queue}' failed: {reply['failed']}", status=502)
        value = reply["result"]
        if isinstance(value, dict) and "error" in value and "status" in value:
            raise WorkerError(value["error"], status=int(value["status"]))
        return value

    def _wait(self, key: str, watch: Watch) -> Any:
        """The attempt's reply; None when the worker that took it died."""
        remaining = self.deadline - time.monotonic()
        while remaining > 0:
            reply = replies.wait(key, min(WATCH_SECONDS, remaining))
            if reply is not None:
                return reply
            if watch.worker_died():
                return None
            remaining = self.deadline - time.monotonic()
        raise WorkerError(f"The worker on '{self.queue}' did not answer in time.", status=504)


def begin(
    name: str,
    kwargs: dict[str, Any],
    queue: str,
    timeout: float,
    checked: bool = False,
) -> PendingCall:
    """Send a task as `call` does and return at once; `result()` waits for it. 503 here when no
    live worker serves `queue`."""
    if not checked:
        require_worker(queue)
    return PendingCall(name, kwargs, queue, timeout)


def stream(
    name: str, kwargs: dict[str, Any], queue: str, timeout: float
) -> Generator[frames.Message, None, None]:
    """Run a streaming task (it publishes on the channel given as its `channel` argument) on a
    live worker of `queue`; yields its messages up to its `done` or `error` one.

    The channel is subscribed to and the task sent before this returns, so a missing worker is
    a WorkerError (503) here rather than in the middle of the stream. While streaming: 504 when
    `timeout` seconds pass without a message; when the worker dies, the task is sent again on a
    new channel and its frames start over (they are cumulative).
    """
    require_worker(queue)
    subscription, watch = _subscribe_and_send(name, kwargs, queue, timeout)
    return _streamed(subscription, watch, name, kwargs, queue, timeout)


def _subscribe_and_send(
    name: str, kwargs: dict[str, Any], queue: str, timeout: float
) -> tuple[frames.Subscription, Watch]:
    subscription = frames.Subscription(frames.new_channel())
    try:
        watch = send_watched(name, {**kwargs, "channel": subscription.channel}, queue, timeout, {})
    except BaseException:
        subscription.close()
        raise
    return subscription, watch


def _streamed(
    subscription: frames.Subscription,
    watch: Watch,
    name: str,
    kwargs: dict[str, Any],
    queue: str,
    timeout: float,
) -> Generator[frames.Message, None, None]:
    try:
        silent_until = time.monotonic() + timeout
        while True:
            message = subscription.next_message(WATCH_SECONDS)
            if message is not None:
                yield message
                if message["kind"] in (frames.DONE, frames.ERROR):
                    return
                silent_until = time.monotonic() + timeout
            elif time.monotonic() >= silent_until:
                raise WorkerError(
                    f"The worker on '{queue}' sent nothing for {timeout:.0f} s.", status=504
                )
            elif watch.worker_died():
                subscription.close()
                subscription, watch = _subscribe_and_send(name, kwargs, queue, timeout)
                silent_until = time.monotonic() + timeout
    finally:
        subscription.close()
