"""What the bus runs on: the Celery app that carries tasks and the Redis connection that the
registry, the replies and the frames use.

The site owns both (`neuronpedia_site.celery`, `neuronpedia_site.redis_connection`) and hands
them over once per process, when Django starts (`neuronpedia_site.apps`). The bus imports no
Django app, so it is told these rather than looking them up.
"""

from __future__ import annotations

from collections.abc import Callable

import redis
from celery import Celery

RedisConnection = Callable[[float | None], redis.Redis]

_app: Celery | None = None
_redis: RedisConnection | None = None


def configure(app: Celery, redis_connection: RedisConnection) -> None:
    global _app, _redis
    _app, _redis = app, redis_connection


def celery_app() -> Celery:
    if _app is None:
        raise RuntimeError("bus.connections.configure() has not run (is Django set up?)")
    return _app


def redis_client(socket_timeout: float | None = 2) -> redis.Redis:
    """A pooled client; `socket_timeout=None` for reads that block as long as the caller says."""
    if _redis is None:
        raise RuntimeError("bus.connections.configure() has not run (is Django set up?)")
    return _redis(socket_timeout)
