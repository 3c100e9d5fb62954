from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import redis

from neuronpedia_site import services


def test_embedded_redis_starts_is_reused_and_stops(tmp_path: Path) -> None:
    var = tmp_path / "v"
    url = services.redis_url(var)
    pid = (var / "redis" / "redis.pid").read_text()
    redis.Redis.from_url(url).set("k", "v")
    assert services.redis_url(var) == url  # a second start finds the running server
    assert (var / "redis" / "redis.pid").read_text() == pid
    assert redis.Redis.from_url(url).get("k") == b"v"
    assert services.stop_redis(var) is True
    assert services.redis_running(var) is False
    assert services.stop_redis(var) is False


def test_celery_url_of_a_unix_socket() -> None:
    assert services.celery_broker_url("unix:///x/r.sock") == "redis+socket:///x/r.sock"
    assert (
        services.celery_broker_url("unix:///x/r.sock?db=15")
        == "redis+socket:///x/r.sock?virtual_host=15"
    )
    assert services.celery_broker_url("redis://h:6379/2") == "redis://h:6379/2"


def test_memory_settings_follow_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NP_PG_MEMORY_MB", raising=False)
    big = services.memory_settings(24 * 2**30)
    assert (big["shared_buffers"], big["effective_cache_size"]) == ("6144MB", "18432MB")
    assert (big["maintenance_work_mem"], big["work_mem"]) == ("1536MB", "64MB")
    small = services.memory_settings(1 * 2**30)
    assert (small["shared_buffers"], small["work_mem"]) == ("256MB", "4MB")
    monkeypatch.setenv("NP_PG_MEMORY_MB", "4096")
    assert services.memory_settings(24 * 2**30)["shared_buffers"] == "1024MB"


@pytest.mark.slow
def test_embedded_postgres_starts_is_reused_and_stops(tmp_path: Path) -> None:
    var = Path("/tmp") / f"np-pg-{tmp_path.name}"  # short path: unix socket names are limited
    try:
        uri = services.database_url(var)
        # Sized from the machine on its first start, as a tuned server is (not 128 MB).
        wanted = services.memory_settings(services.machine_memory_bytes())["shared_buffers"]
        assert services.shared_buffers_mb(uri) == int(wanted.removesuffix("MB"))
        pid = (var / "postgres" / "postmaster.pid").read_text().split()[0]
        with psycopg.connect(uri) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            assert conn.execute("SELECT '[1,2]'::vector <-> '[1,3]'::vector").fetchone()[0] == 1.0
        assert services.database_url(var) == uri
        assert (var / "postgres" / "postmaster.pid").read_text().split()[0] == pid
        assert services.postgres_running(var)
    finally:
        assert services.stop_postgres(var) is True
    assert services.postgres_running(var) is False
