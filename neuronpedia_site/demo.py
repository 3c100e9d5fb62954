"""Where the bundled demo pack is and whether it is there."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

DEMO_MODEL_ID = "demo-lm"


def demo_model_dir() -> Path:
    return settings.DEMO_PACK_DIR / DEMO_MODEL_ID


def demo_pack_available() -> bool:
    return (demo_model_dir() / "manifest.json").exists()
