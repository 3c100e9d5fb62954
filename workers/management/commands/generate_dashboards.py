from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from importer.local_export import load_export_dir


class Command(BaseCommand):
    help = "Generate dashboards for an SAE over a corpus as a Neuronpedia export (resumable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sae-dir", required=True, help="SAE directory (cfg.json + weights)")
        parser.add_argument("--source", required=True, help="Neuronpedia source id, e.g. 6-res-jb")
        parser.add_argument("--out", required=True, help="output root (v1/... is written in it)")
        parser.add_argument("--model-dir", help="model directory (workers.model_dir format)")
        parser.add_argument(
            "--model-id", help="Neuronpedia model id (default: the model's name); without "
            "--model-dir, the TransformerLens model to load",
        )  # fmt: skip
        parser.add_argument(
            "--corpus", default="demo", help="'demo', or a .jsonl[.gz] / text file of documents"
        )
        parser.add_argument("--corpus-seed", type=int, default=7, help="seed of the demo corpus")
        parser.add_argument("--max-docs", type=int, help="read at most this many documents")
        parser.add_argument("--max-tokens", type=int, help="stop after this many tokens")
        parser.add_argument("--context-size", type=int, default=128, help="tokens per row")
        parser.add_argument("--batch-tokens", type=int, default=8192, help="tokens per batch")
        parser.add_argument("--n-top", type=int, default=20, help="top examples per feature")
        parser.add_argument("--device", default="auto", help="auto, cuda, mps or cpu")
        parser.add_argument("--threads", type=int, help="torch CPU threads")
        parser.add_argument(
            "--visibility", default="PUBLIC", choices=["PUBLIC", "UNLISTED", "PRIVATE"]
        )
        parser.add_argument("--set-description", default="", help="shown for the source set")
        parser.add_argument("--creator-name", default="", help="who made the SAE")
        parser.add_argument("--release", help="also write release.jsonl with this release name")
        parser.add_argument("--lexicon", help="word lists that label explanations: demo-topics")
        parser.add_argument("--load", action="store_true", help="then load it into the database")
        parser.add_argument("--force", action="store_true", help="regenerate a complete output")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> str:
        from workers.dashboards import DashboardConfig, generate_dashboards

        if options["threads"]:
            import torch

            torch.set_num_threads(options["threads"])
        try:
            config = DashboardConfig(
                source=options["source"],
                out=options["out"],
                sae_dir=options["sae_dir"],
                model_dir=options["model_dir"],
                model_id=options["model_id"],
                corpus=options["corpus"],
                corpus_seed=options["corpus_seed"],
                max_docs=options["max_docs"],
                max_tokens=options["max_tokens"],
                context_size=options["context_size"],
                batch_tokens=options["batch_tokens"],
                n_top=options["n_top"],
                device=options["device"],
                visibility=options["visibility"],
                set_description=options["set_description"],
                creator_name=options["creator_name"],
                release_name=options["release"],
                lexicon=options["lexicon"],
                force=options["force"],
            )
            result = generate_dashboards(config, progress=not options["no_progress"])
        except (ValueError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        summary = (
            f"{result.model_id}/{result.source}: {result.features} features "
            f"({result.alive_features} alive), {result.activations} examples, "
            f"{result.explanations} explanations from {result.tokens} tokens"
        )
        if result.skipped:
            summary += " (already complete; --force regenerates)"
        else:
            summary += f", {result.tokens_per_second:,.0f} tokens/s"
        summary += f"\nexport: {result.out}/v1/{result.model_id}/{result.source}/"
        if options["load"]:
            loaded = load_export_dir(result.out, result.model_id, result.source)
            summary += f"\nloaded into the database through the importer ({loaded.rows} rows)"
        return summary
