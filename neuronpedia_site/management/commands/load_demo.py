from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from neuronpedia_site.demo import demo_model_dir, demo_pack_available, load_demo


class Command(BaseCommand):
    help = "Load the bundled demo model, sources and dashboards into the database (safe to re-run)."

    def handle(self, *args: Any, **options: Any) -> str:
        if not demo_pack_available():
            raise CommandError(f"No demo pack at {demo_model_dir()}")
        return load_demo()
