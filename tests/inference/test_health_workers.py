from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient


def test_health_names_the_model_and_sources_a_worker_serves(worker: Any, tiny_model: Any) -> None:
    workers = APIClient().get("/api/health").json()["workers"]
    mine = next(w for w in workers if w["hostname"] == worker.hostname)
    assert mine["modelId"] == tiny_model.id
    assert sorted(mine["sources"]) == sorted(s.source_id for s in tiny_model.sources.all())
    assert f"inference.{tiny_model.id}" in mine["queues"]
