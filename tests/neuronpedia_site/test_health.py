from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.mark.django_db
def test_health_reports_database_and_redis(anon: APIClient) -> None:
    body = anon.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["database"]["version"].startswith("PostgreSQL")
    assert body["database"]["pgvector"]
    assert body["redis"]["ok"]
    assert body["workers"] == []


@pytest.mark.django_db(transaction=True)
def test_health_lists_live_workers_with_their_queues(anon: APIClient, start_worker) -> None:
    worker = start_worker("--queues", "inference.some-model")
    workers = anon.get("/api/health").json()["workers"]
    assert [w["hostname"] for w in workers] == [worker.hostname]
    assert workers[0]["queues"] == ["default", "inference.some-model"]
