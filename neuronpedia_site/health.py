"""What /api/health reports: the database, Redis and the live workers with their queues."""

from __future__ import annotations

from typing import Any

from django.db import connection

from bus import registry
from neuronpedia_site import redis_connection


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            version = cursor.fetchone()[0]
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
        return {
            "ok": True,
            "version": version.split(" on ")[0],
            "pgvector": row[0] if row else None,
        }
    except Exception as exc:
        return {"ok": False, "error": str(exc)}


def check_redis() -> dict[str, Any]:
    try:
        info = redis_connection.connection().info("server")
        return {"ok": True, "version": info.get("redis_version")}
    except Exception as exc:
        return {"ok": False, "error": str(exc)}


def check_workers() -> list[dict[str, Any]]:
    try:
        workers = registry.live_workers()
    except Exception:
        return []
    return [
        {
            "hostname": w["hostname"],
            "queues": w["queues"],
            "modelId": w["model_id"],
            "sources": [s.get("source") for s in w["sources"]],
            "seenAt": w["seen_at"],
        }
        for w in workers
    ]


def health() -> dict[str, Any]:
    database, redis_state = check_database(), check_redis()
    return {
        "status": "ok" if database["ok"] and redis_state["ok"] else "degraded",
        "database": database,
        "redis": redis_state,
        "workers": check_workers(),
    }
