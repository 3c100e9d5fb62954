from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core.checks import Warning, register


class ImporterConfig(AppConfig):
    name = "importer"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        register(check_import_settings)


def check_import_settings(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """IMPORT_* settings that would only fail once someone imports."""
    from django.conf import settings

    from importer.locations import READERS, register_builtin_readers, scheme_of

    register_builtin_readers()
    warnings = []
    scheme = scheme_of(settings.IMPORT_FROM)
    if scheme not in READERS:
        warnings.append(
            Warning(
                f"IMPORT_FROM={settings.IMPORT_FROM} has an unknown scheme '{scheme}'.",
                hint="Use s3://bucket/prefix, https://... or a directory.",
                id="importer.W001",
            )
        )
    if bool(settings.IMPORT_S3_ACCESS_KEY_ID) != bool(settings.IMPORT_S3_SECRET_ACCESS_KEY):
        warnings.append(
            Warning(
                "Only one of IMPORT_S3_ACCESS_KEY_ID and IMPORT_S3_SECRET_ACCESS_KEY is set; "
                "S3 requests will be anonymous.",
                hint="Set both to sign requests, or neither for public buckets.",
                id="importer.W002",
            )
        )
    return warnings
