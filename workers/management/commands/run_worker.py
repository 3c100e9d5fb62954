from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand

from neuronpedia_site.celery import app
from workers.client import DEFAULT_QUEUE, inference_queue
from workers.serving import MODEL_ENV


class Command(BaseCommand):
    help = "Start a Celery worker (the default queue, and inference.<model> when --model is given)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--model", help="Model id to serve, e.g. demo-lm (adds its queue).")
        parser.add_argument("--queues", default="", help="Comma-separated extra queues.")
        parser.add_argument("--no-default-queue", action="store_true")
        parser.add_argument(
            "--pool", default="solo", help="solo (one GPU model per process) or prefork."
        )
        parser.add_argument("--concurrency", type=int, default=1)
        parser.add_argument("--hostname", default=None)
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args: Any, **options: Any) -> None:
        queues = [q for q in options["queues"].split(",") if q]
        if not options["no_default_queue"]:
            queues.insert(0, DEFAULT_QUEUE)
        if options["model"]:
            os.environ[MODEL_ENV] = options["model"]
            queues.append(inference_queue(options["model"]))
        argv = [
            "worker",
            f"--queues={','.join(dict.fromkeys(queues))}",
            f"--pool={options['pool']}",
            f"--concurrency={options['concurrency']}",
            f"--loglevel={options['loglevel']}",
            "--without-gossip",
            "--without-mingle",
        ]
        if options["hostname"]:
            argv.append(f"--hostname={options['hostname']}")
        app.worker_main(argv)
