from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from bus.client import EMBED_QUEUE
from features import umap_jobs
from importer.demo import demo_pack_available
from neuronpedia_format.demo_pack import DEMO_MODEL_ID


class Command(BaseCommand):
    help = (
        "Run the whole platform: migrate, load the demo pack, then web (gunicorn), a worker "
        "and a query-embedding worker (queue embed)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=3000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-worker", action="store_true")
        parser.add_argument("--no-demo", action="store_true")
        parser.add_argument(
            "--no-umap",
            action="store_true",
            help="Don't queue UMAP layouts for the demo sources that lack one.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        demo = demo_pack_available() and not options["no_demo"]
        if demo:
            call_command("load_demo", stdout=self.stdout)
        env = {**os.environ, "DATABASE_URL": settings.DATABASE_URL, "REDIS_URL": settings.REDIS_URL}
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        children: list[subprocess.Popen] = []
        if demo and not options["no_worker"] and not options["no_umap"]:
            # Queued now, run by the worker below once it has loaded the model: the page
            # comes up at once and the scatter appears seconds later (docs/ui.md, "UMAP").
            umap_jobs.start_missing(DEMO_MODEL_ID)
        if not options["no_worker"]:
            worker = [*manage, "run_worker", "--hostname", "worker@%h"]
            if demo:
                worker += ["--model", DEMO_MODEL_ID]
            children.append(subprocess.Popen(worker, env=env))
            # Explanation search's query embeddings, on a worker of their own so a long job on
            # the default queue never holds a search up (docs/search.md).
            embed = ["--queues", EMBED_QUEUE, "--no-default-queue", "--hostname", "embed@%h"]
            children.append(subprocess.Popen([*manage, "run_worker", *embed], env=env))
        children.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "neuronpedia_site.wsgi:application",
                    "--bind",
                    f"{options['host']}:{options['port']}",
                    "--worker-class",
                    "gthread",
                    "--workers",
                    "2",
                    "--threads",
                    "8",
                    "--timeout",
                    "300",
                    "--access-logfile",
                    "-",
                ],
                env=env,
                cwd=settings.BASE_DIR,
            )
        )
        self.stdout.write(f"Serving on http://{options['host']}:{options['port']} (Ctrl-C stops)")

        def stop(*_: Any) -> None:
            for child in children:
                child.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for child in children:
                try:
                    child.wait(20)
                except subprocess.TimeoutExpired:
                    child.kill()
