from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from importer.demo import demo_pack_available, load_demo
from neuronpedia_format.demo_pack import demo_model_dir


class Command(BaseCommand):
    help = "Load the bundled demo model, sources and dashboards into the database (safe to re-run)."

    def handle(self, *args: Any, **options: Any) -> str:
        if not demo_pack_available():
            raise CommandError(f"No demo pack at {demo_model_dir(settings.DEMO_PACK_DIR)}")
        return load_demo()
