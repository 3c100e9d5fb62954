from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from neuronpedia_site import services


class Command(BaseCommand):
    help = "Start, stop or show the embedded PostgreSQL and Redis (used when *_URL are unset)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "action", choices=["start", "stop", "status", "postgres-tcp", "postgres-tcp-stop"]
        )
        parser.add_argument("--port", type=int, default=55432, help="For postgres-tcp.")
        parser.add_argument("--data", default=None, help="Data directory for postgres-tcp.")

    def handle(self, *args: Any, **options: Any) -> str:
        var_dir: Path = settings.VAR_DIR
        action = options["action"]
        if action == "start":
            db = services.database_url(var_dir)
            rd = services.redis_url(var_dir)
            return f"postgres: {db}\nredis: {rd}"
        if action == "stop":
            stopped = {True: "stopped", False: "not running"}
            return (
                f"postgres: {stopped[services.stop_postgres(var_dir)]}\n"
                f"redis: {stopped[services.stop_redis(var_dir)]}"
            )
        if action == "status":
            running = {True: "running", False: "stopped"}
            return (
                f"postgres: {running[services.postgres_running(var_dir)]}\n"
                f"redis: {running[services.redis_running(var_dir)]}"
            )
        data = Path(options["data"] or var_dir / "postgres-tcp")
        if action == "postgres-tcp-stop":
            return "stopped" if services.stop_postgres_dir(data) else "not running"
        try:
            return services.start_tcp_postgres(data, options["port"])
        except Exception as exc:
            raise CommandError(
                f"could not start PostgreSQL on port {options['port']}: {exc}"
            ) from exc
