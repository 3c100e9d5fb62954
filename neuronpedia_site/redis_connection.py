"""The site's Redis connection (REDIS_URL): the rate limiter, the health check and the bus
(`bus.connections`) share its pools."""

from __future__ import annotations

import redis
from django.conf import settings

_clients: dict[tuple[str, float | None], redis.Redis] = {}


def connection(socket_timeout: float | None = 2) -> redis.Redis:
    """A client for REDIS_URL, one per URL, timeout and process: its pool keeps the socket open,
    so an inference request does not pay a connect (redis-py pools reset themselves after a
    fork). `socket_timeout=None` for blocking reads that wait as long as their caller allows
    (redis-py's own default is 5 s)."""
    key = (settings.REDIS_URL, socket_timeout)
    client = _clients.get(key)
    if client is None:
        client = redis.Redis.from_url(
            key[0], socket_timeout=socket_timeout, socket_connect_timeout=2
        )
        _clients[key] = client
    return client
