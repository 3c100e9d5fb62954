from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Train the bundled demo model and its SAEs from the generated corpus (safe to re-run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", default="demo_pack", help="pack directory (default: demo_pack)"
        )
        parser.add_argument("--seed", type=int, default=0, help="training and corpus seed")
        parser.add_argument("--quick", action="store_true", help="seconds-long run, for testing")

    def handle(self, *args: Any, **options: Any) -> None:
        from workers.demo import build_demo_pack

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
