"""System checks for the importer's settings (`manage.py check`)."""

from __future__ import annotations

from typing import Any

from importer.apps import check_import_settings


def test_the_defaults_pass() -> None:
    assert check_import_settings() == []


def test_an_unknown_location_scheme_is_reported(settings: Any) -> None:
    settings.IMPORT_FROM = "ftp://example.com/v1"
    assert [w.id for w in check_import_settings()] == ["importer.W001"]


def test_half_a_key_pair_is_reported(settings: Any) -> None:
    settings.IMPORT_S3_ACCESS_KEY_ID = "AKIA..."
    assert [w.id for w in check_import_settings()] == ["importer.W002"]
