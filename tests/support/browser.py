"""Browser test settings: window sizes and where screenshots go."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.support.worker_processes import ROOT

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
LAPTOP = (1280, 860)
PHONE = (390, 844)
MISSING = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]

BROWSER_MISSING = f"{' and '.join(MISSING)} not installed (run scripts/ensure_test_tools.sh)"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_chromium() -> None:
    """Skip a browser test on a machine without Chromium, but fail it in CI (`CI=true`), where
    a missing browser must not pass for a green run."""
    if not MISSING:
        return
    if in_ci():
        pytest.fail(BROWSER_MISSING)
    pytest.skip(BROWSER_MISSING)
