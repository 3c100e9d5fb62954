from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from importer import tree
from importer.locations import LocationError


class Command(BaseCommand):
    help = "List the models of an export location, or with model ids their sources and states."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("model_ids", nargs="*", help="Models whose sources to list.")
        parser.add_argument(
            "--from",
            dest="location",
            default="",
            help="s3://bucket/prefix, https://base-url or a directory (default: IMPORT_FROM).",
        )
        parser.add_argument("--endpoint-url", default="", help="An S3-compatible store's URL.")
        parser.add_argument(
            "--no-sign-request",
            action="store_true",
            help="S3: send unsigned requests even where credentials are found (as the aws CLI).",
        )

    def handle(self, *args: Any, **options: Any) -> str:
        location = options["location"] or settings.IMPORT_FROM
        endpoint = options["endpoint_url"]
        unsigned = options["no_sign_request"]
        try:
            if not options["model_ids"]:
                models = tree.list_models(
                    location, endpoint, refresh=True, no_sign_request=unsigned
                )
                for model_id in models:
                    self.stdout.write(model_id)
                return f"{len(models)} models at {location}."
            for model_id in options["model_ids"]:
                self._model(location, endpoint, model_id, unsigned)
        except LocationError as exc:
            raise CommandError(str(exc)) from exc
        return ""

    def _model(self, location: str, endpoint: str, model_id: str, unsigned: bool) -> None:
        data = tree.model_tree(location, model_id, endpoint, refresh=True, no_sign_request=unsigned)
        self.stdout.write(model_id)
        if not data["sets"]:
            self.stdout.write("  (no sources)")
        for source_set in data["sets"]:
            self.stdout.write(
                f"  {source_set['name']}  ({source_set['imported']} of "
                f"{source_set['total']} imported)"
            )
            for source in source_set["sources"]:
                state = source["state"]
                if "lastAttempt" in source:
                    state += f" (last attempt {source['lastAttempt']}, job {source['jobId']})"
                self.stdout.write(f"    L{source['layer']:<4} {source['id']:<40} {state}")
