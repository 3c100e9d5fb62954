from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Train the bundled demo model, its SAEs and transcoders, then their dashboards "
        "(safe to re-run)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", default="demo_pack", help="pack directory (default: demo_pack)"
        )
        parser.add_argument("--seed", type=int, default=0, help="training and corpus seed")
        parser.add_argument("--quick", action="store_true", help="seconds-long run, for testing")
        parser.add_argument(
            "--dashboards-only",
            action="store_true",
            help="keep the trained model and SAEs; regenerate only the dashboards export",
        )
        parser.add_argument(
            "--transcoders-only",
            action="store_true",
            help="keep the trained model and SAEs; (re)train the transcoders and their dashboards",
        )
        parser.add_argument("--no-dashboards", action="store_true", help="skip the dashboards")
        parser.add_argument("--threads", type=int, help="torch CPU threads")

    def handle(self, *args: Any, **options: Any) -> None:
        from neuronpedia_format.demo_pack import DEMO_MODEL_ID as MODEL_ID
        from workers.demo import build_demo_pack

        if options["threads"]:
            import torch

            torch.set_num_threads(options["threads"])
        if options["transcoders_only"]:
            from workers.demo.transcoders import add_transcoders_to_pack

            manifest = add_transcoders_to_pack(
                Path(options["out"]) / MODEL_ID, quick=options["quick"]
            )
            self.stdout.write(_transcoders_line(manifest))
        elif not options["dashboards_only"]:
            manifest = build_demo_pack(options["out"], seed=options["seed"], quick=options["quick"])
            dino = manifest["topic_features"]["dinosaurs"]
            self.stdout.write(
                f"built {manifest['model_id']} in {options['out']}: "
                f"{manifest['n_layers']} layers, d_model {manifest['d_model']}, "
                f"loss {manifest['training']['final_loss']}, "
                f"sources {', '.join(s['id'] for s in manifest['sources'])}, "
                f"dinosaurs feature {dino['recommended_source']}:{dino['index']} "
                f"(strength {dino['recommended_strength']}), "
                f"{manifest['training']['build_seconds']} s"
            )
            self.stdout.write(_transcoders_line(manifest))
        if options["no_dashboards"]:
            return
        from workers.demo.dashboards import build_demo_dashboards

        pack = Path(options["out"]) / MODEL_ID
        only = options["transcoders_only"]
        for result in build_demo_dashboards(pack, transcoders_only=only):
            self.stdout.write(
                f"dashboards {result.model_id}/{result.source}: {result.alive_features} features "
                f"with examples, {result.activations} examples, {result.explanations} "
                f"explanations from {result.tokens} tokens in {result.seconds:.0f} s "
                f"({result.tokens_per_second:,.0f} tokens/s)"
            )


def _transcoders_line(manifest: dict[str, Any]) -> str:
    parts = [
        f"{t['id']} (fvu {t['fvu']}, l0 {t['l0']}, dead {t['dead']:.0f})"
        for t in manifest.get("transcoders", [])
    ]
    return "transcoders " + ", ".join(parts)
