"""Which workers are alive and what they serve, kept in Redis by the workers themselves.

Each worker writes `np:worker:<hostname>` (queues, served model and sources) with a short TTL,
adds its hostname to the `np:workers` set, and refreshes the entry from a heartbeat thread, so
the web side can answer "no worker serves this queue" with a 503 at once instead of waiting for
a task that nobody will take."""

from __future__ import annotations

import json
import time
from typing import Any, NotRequired, TypedDict

from bus.connections import redis_client

KEY_PREFIX = "np:worker:"
INDEX_KEY = "np:workers"  # the hostnames that have announced themselves
# A killed worker drops out of the registry TTL_SECONDS after its last heartbeat at most; callers
# waiting for its tasks then send them to another worker (`bus.client`), so this bounds how
# long a worker's death holds up a request. Several beats fit in it, so a worker that is only
# busy (a heartbeat delayed by a second or two) stays listed.
HEARTBEAT_SECONDS = 1
TTL_SECONDS = 5


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
    graph_source_set: NotRequired[str | None]  # the transcoder set it traces graphs with


def announce(info: WorkerInfo) -> None:
    info["seen_at"] = time.time()
    with redis_client().pipeline() as pipe:
        pipe.set(KEY_PREFIX + info["hostname"], json.dumps(info), ex=TTL_SECONDS)
        pipe.sadd(INDEX_KEY, info["hostname"])
        pipe.execute()


def withdraw(hostname: str) -> None:
    with redis_client().pipeline() as pipe:
        pipe.delete(KEY_PREFIX + hostname)
        pipe.srem(INDEX_KEY, hostname)
        pipe.execute()


def live_workers() -> list[WorkerInfo]:
    """Every worker whose entry has not expired, by hostname.

    Every inference request asks this, so it is one command that reads only the workers'
    entries (SORT of the index set with GET), where a SCAN would walk every key of the
    database. Hostnames whose entry has expired (a killed worker) leave the index here.
    """
    conn = redis_client()
    found = conn.sort(INDEX_KEY, by="nosort", get=["#", KEY_PREFIX + "*"])
    assert isinstance(found, list)  # SORT ... GET: hostname, entry, hostname, entry, ...
    pairs: list[tuple[Any, Any]] = list(zip(found[::2], found[1::2], strict=True))
    gone = [hostname for hostname, raw in pairs if raw is None]
    if gone:
        conn.srem(INDEX_KEY, *gone)
    return [json.loads(raw) for _, raw in sorted(pairs) if raw is not None]


def workers_for_queue(queue: str) -> list[WorkerInfo]:
    return [w for w in live_workers() if queue in w["queues"]]
