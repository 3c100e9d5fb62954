"""Celery tasks. Each is a thin wrapper around a plain function in a noun module."""

from __future__ import annotations

import time
from typing import Any

from celery import shared_task

# Dashboards of a large SAE over a large corpus take hours; the default hard limit would kill them.
DASHBOARDS_TIME_LIMIT = 7 * 24 * 3600


@shared_task(name="workers.tasks.ping")
def ping(payload: str = "pong") -> str:
    """Round-trip check used by the health command and tests."""
    return payload


@shared_task(name="workers.tasks.sleep_then_record", acks_late=True)
def sleep_then_record(key: str, seconds: float) -> int:
    """Test helper for redelivery: counts attempts in Redis, then sleeps, then records completion.

    Used by tests that SIGKILL a worker mid-task and check the task runs again elsewhere.
    """
    from workers.registry import connection

    conn = connection()
    attempt = int(conn.incr(f"{key}:attempts"))
    time.sleep(seconds)
    conn.set(f"{key}:done", attempt)
    return attempt


@shared_task(
    name="workers.tasks.generate_dashboards",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=DASHBOARDS_TIME_LIMIT,
    soft_time_limit=DASHBOARDS_TIME_LIMIT - 60,
)
def generate_dashboards(config: dict[str, Any], load: bool = False) -> dict[str, Any]:
    """Run a dashboards job (`workers.dashboards.DashboardConfig` as a dict); a redelivered task
    resumes from the job's checkpoint. With `load`, the export is then loaded into the database.
    """
    from workers.dashboards import DashboardConfig
    from workers.dashboards import generate_dashboards as run

    result = run(DashboardConfig.from_dict(config), progress=False).to_dict()
    if load:
        from workers.dashboards_db import load_export_dir

        loaded = load_export_dir(result["out"], result["model_id"], result["source"])
        result["loaded"] = {"via": loaded.via, "rows": loaded.rows}
    return result
