"""Celery worker lifecycle: load the model, announce in the registry when ready, withdraw on
shutdown; tell a waiting caller which worker took its task (`bus.claims`), and send each
finished task's answer to a caller waiting on a reply list."""

from __future__ import annotations

import logging
from typing import Any

from celery import states
from celery.signals import (
    task_postrun,
    task_prerun,
    task_received,
    worker_ready,
    worker_shutdown,
)
from django.db import close_old_connections

from bus import claims, replies
from bus.client import EMBED_QUEUE
from workers import embeddings, heartbeat, serving

log = logging.getLogger(__name__)


@worker_ready.connect
def _announce(sender: Any = None, **kwargs: Any) -> None:
    # run_worker has loaded the model already; a plain `celery worker` line loads it here. A
    # worker whose model fails to load never announces itself, so the web side answers 503
    # (naming the queue) instead of sending it tasks it cannot run.
    try:
        serving.load()
    except Exception:
        log.exception("could not load the model; this worker will not announce itself")
        return
    queues = sorted(q.name for q in sender.app.amqp.queues.consume_from.values())
    if EMBED_QUEUE in queues:
        # Searches wait only a moment for a query's embedding: load the model before the
        # worker says it serves the queue, not on the first search.
        if serving.served_model_id() is None:
            embeddings.use_threads()
        embeddings.model()
    heartbeat.start(sender.hostname, queues, serving.describe)


@worker_shutdown.connect
def _withdraw(sender: Any = None, **kwargs: Any) -> None:
    heartbeat.stop(sender.hostname)


@task_received.connect
def _claim(request: Any = None, **kwargs: Any) -> None:
    # As soon as the message arrives, before it waits for a free thread: a worker that dies
    # from here on is one the caller can see die (its heartbeat stops) and replace.
    key = claims.claim_key(request)
    if key:
        claims.record(key, request.hostname)


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(**kwargs: Any) -> None:
    # What Django does at each request's start and end (CELERY_DB_REUSE_MAX keeps Celery from
    # closing them all): a broken connection, or one older than CONN_MAX_AGE, is closed, and
    # the thread's next query opens a new one; a healthy one is reused.
    close_old_connections()


@task_postrun.connect
def _reply(task: Any = None, retval: Any = None, state: str | None = None, **kwargs: Any) -> None:
    # A caller waiting with `bus.client.call` named a reply list in the message headers. A
    # task that will run again (retry) has not answered yet.
    key = replies.reply_key(task.request)
    if key and state in (states.SUCCESS, states.FAILURE):
        replies.push(key, retval, failed=state == states.FAILURE)


@task_postrun.connect
def _release(task: Any = None, **kwargs: Any) -> None:
    # After the reply: the caller has its answer, and the claim would only fill Redis.
    key = claims.claim_key(task.request)
    if key:
        claims.release(key)
