from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bus.client import DEFAULT_QUEUE, inference_queue
from neuronpedia_site.celery import app
from workers import serving

# A model worker answers concurrent requests on threads; the searches among them are batched
# into shared forward passes (workers.batcher). Without a model, one task at a time.
MODEL_POOL, MODEL_CONCURRENCY = "threads", 8
PLAIN_POOL, PLAIN_CONCURRENCY = "solo", 1


class Command(BaseCommand):
    help = (
        "Start a Celery worker: queue default, plus inference.<model> serving one model and its "
        "SAEs when --model is given."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--model", help="Model id to serve, e.g. demo-lm (adds its queue).")
        parser.add_argument(
            "--override-model-id",
            help="The Neuronpedia model id when it differs from --model (requests may use either; "
            "the queue is named after this one).",
        )
        parser.add_argument(
            "--model-dir", help="A model directory (workers.model_dir); default: the HF hub."
        )
        parser.add_argument(
            "--sae-dir",
            action="append",
            default=[],
            help="A directory of {source_id}/ SAE folders, or SOURCE=DIR for one SAE. Repeatable.",
        )
        parser.add_argument(
            "--transcoder-dir",
            action="append",
            default=[],
            help=(
                "A directory of {source_id}/ per-layer transcoder folders (sae-lens Transcoder, "
                "resid_mid -> mlp_out, one per layer), or SOURCE=DIR. Serves attribution graphs."
            ),
        )
        parser.add_argument(
            "--sae-sets",
            action="append",
            default=[],
            help="Comma-separated source sets to serve, e.g. res-jb (default: every local SAE).",
        )
        parser.add_argument(
            "--include-sae", action="append", default=[], help="Serve only matching source ids."
        )
        parser.add_argument(
            "--exclude-sae", action="append", default=[], help="Drop matching source ids."
        )
        parser.add_argument("--device", help="auto (cuda, then mps, then cpu), cuda, mps or cpu.")
        parser.add_argument("--model-dtype", help="float32, float16 or bfloat16.")
        parser.add_argument("--sae-dtype", help="float32, float16 or bfloat16.")
        parser.add_argument("--token-limit", type=int, help="Longest prompt in tokens (200).")
        parser.add_argument(
            "--max-loaded-saes", type=int, help="SAEs kept in memory, least recently used out."
        )
        parser.add_argument(
            "--batch-size", type=int, help="Most searches answered by one forward pass (8)."
        )
        parser.add_argument(
            "--batch-wait-ms",
            type=float,
            help="Most a search waits for others (50 ms; a quarter of the last pass first).",
        )
        parser.add_argument(
            "--torch-threads", type=int, help="CPU threads per torch op (default: one per core)."
        )
        parser.add_argument("--queues", default="", help="Comma-separated extra queues.")
        parser.add_argument("--no-default-queue", action="store_true")
        parser.add_argument(
            "--pool",
            help=f"Celery pool: {MODEL_POOL} with --model (requests share the model and are "
            f"batched), else {PLAIN_POOL}.",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            help=f"Tasks at once: {MODEL_CONCURRENCY} with --model, else {PLAIN_CONCURRENCY}.",
        )
        parser.add_argument("--hostname", default=None)
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args: Any, **options: Any) -> None:
        queues = [q for q in options["queues"].split(",") if q]
        if not options["no_default_queue"]:
            queues.insert(0, DEFAULT_QUEUE)
        model = options["model"]
        pool = options["pool"] or (MODEL_POOL if model else PLAIN_POOL)
        concurrency = options["concurrency"] or (MODEL_CONCURRENCY if model else PLAIN_CONCURRENCY)
        if model:
            queues.append(self._prepare_model(model, options, pool))
        if not queues:
            raise CommandError("No queue to consume: drop --no-default-queue or give --queues.")
        argv = [
            "worker",
            f"--queues={','.join(dict.fromkeys(queues))}",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            f"--loglevel={options['loglevel']}",
            "--without-gossip",
            "--without-mingle",
        ]
        if options["hostname"]:
            argv.append(f"--hostname={options['hostname']}")
        app.worker_main(argv)

    def _prepare_model(self, model: str, options: dict[str, Any], pool: str) -> str:
        """Check the options, export them as NP_WORKER_* and load the model; returns its queue.

        Loading here, before Celery starts, makes a bad directory or device fail the command at
        once instead of every task later.
        """
        if pool == "prefork":
            raise CommandError(
                "--pool prefork would copy the model into forked children; use threads or solo "
                "and start more workers to scale out."
            )
        env = serving.options_to_env(
            model,
            {
                "override_model_id": options["override_model_id"],
                "model_dir": options["model_dir"],
                "sae_dirs": options["sae_dir"] or None,
                "transcoder_dirs": options["transcoder_dir"] or None,
                "sae_sets": [s for sets in options["sae_sets"] for s in sets.split(",") if s],
                "include_sae": options["include_sae"],
                "exclude_sae": options["exclude_sae"],
                "device": options["device"],
                "model_dtype": options["model_dtype"],
                "sae_dtype": options["sae_dtype"],
                "token_limit": options["token_limit"],
                "max_loaded_saes": options["max_loaded_saes"],
                "batch_size": options["batch_size"],
                "batch_wait_ms": options["batch_wait_ms"],
                "torch_threads": options["torch_threads"],
            },
        )
        try:
            config = serving.config_from_env(env)
            assert config is not None
            serving.check_config(config)
            serving.batch_options(env)
            serving.torch_threads(env)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        os.environ.update(env)
        try:
            served = serving.load()
        except Exception as exc:
            raise CommandError(f"Could not load {model}: {exc}") from exc
        assert served is not None
        self.stdout.write(
            f"Serving {config.neuronpedia_model_id} on {served.device} with sources: "
            f"{', '.join(s['source'] for s in served.served_sources()) or '(none)'}"
        )
        return inference_queue(config.neuronpedia_model_id)
