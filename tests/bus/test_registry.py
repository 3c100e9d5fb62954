"""The worker registry in Redis: announced workers are listed until withdrawn or expired."""

from __future__ import annotations

import uuid

from bus import registry
from bus.connections import redis_client


def _info(hostname: str) -> registry.WorkerInfo:
    return {
        "hostname": hostname,
        "queues": ["inference.m1"],
        "model_id": "m1",
        "sources": [],
        "pid": 1,
        "seen_at": 0.0,
    }


def _mine(prefix: str) -> list[str]:
    return [w["hostname"] for w in registry.live_workers() if w["hostname"].startswith(prefix)]


def test_workers_are_listed_until_withdrawn_or_expired() -> None:
    prefix = f"reg-{uuid.uuid4().hex[:8]}-"
    b, a = prefix + "b@host", prefix + "a@host"
    registry.announce(_info(b))
    registry.announce(_info(a))
    assert _mine(prefix) == [a, b]  # by hostname
    assert redis_client().ttl(registry.KEY_PREFIX + a) > 0

    redis_client().delete(registry.KEY_PREFIX + b)  # its TTL ran out: killed, not withdrawn
    assert _mine(prefix) == [a]
    assert not redis_client().sismember(registry.INDEX_KEY, b)  # and it left the index

    registry.withdraw(a)
    assert _mine(prefix) == []
    assert not redis_client().sismember(registry.INDEX_KEY, a)
