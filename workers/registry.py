"""Which workers are alive and what they serve, kept in Redis by the workers themselves.

Each worker writes `np:worker:<hostname>` (queues, served model and sources) with a short TTL and
refreshes it from a heartbeat thread, so the web side can answer "no worker serves this queue"
with a 503 at once instead of waiting for a task that nobody will take. No torch here: the web
process imports this module.
"""

from __future__ import annotations

import json
import time
from typing import Any, NotRequired, TypedDict

import redis
from django.conf import settings

KEY_PREFIX = "np:worker:"
HEARTBEAT_SECONDS = 5
TTL_SECONDS = 15


class WorkerInfo(TypedDict):
    hostname: str
    queues: list[str]
    model_id: str | None  # the Neuronpedia model id; its queue is inference.<model_id>
    sources: list[dict[str, Any]]  # [{source, source_set, hook_name, d_sae}] once loaded
    pid: int
    seen_at: float
    model_ids: NotRequired[list[str]]  # every id requests may use (model id and override)
    token_limit: NotRequired[int]
    device: NotRequired[str]
    batching: NotRequired[dict[str, Any]]


_clients: dict[str, redis.Redis] = {}


def connection() -> redis.Redis:
    """A client for REDIS_URL, one per URL and process: its pool keeps the socket open, so an
    inference request does not pay a connect (redis-py pools reset themselves after a fork)."""
    url = settings.REDIS_URL
    client = _clients.get(url)
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        _clients[url] = client
    return client


def announce(info: WorkerInfo) -> None:
    info["seen_at"] = time.time()
    connection().set(KEY_PREFIX + info["hostname"], json.dumps(info), ex=TTL_SECONDS)


def withdraw(hostname: str) -> None:
    connection().delete(KEY_PREFIX + hostname)


def live_workers() -> list[WorkerInfo]:
    conn = connection()
    # One SCAN step covers the whole keyspace of a typical database: with COUNT 100 a few
    # thousand result and cache keys took dozens of round trips per inference request.
    keys = sorted(conn.scan_iter(match=KEY_PREFIX + "*", count=10_000))
    if not keys:
        return []
    return [json.loads(raw) for raw in conn.mget(keys) if raw]


def workers_for_queue(queue: str) -> list[WorkerInfo]:
    return [w for w in live_workers() if queue in w["queues"]]
