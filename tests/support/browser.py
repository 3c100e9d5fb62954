"""Browser test settings: window sizes and where screenshots go."""

from __future__ import annotations

import shutil

from tests.support.worker_processes import ROOT

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
LAPTOP = (1280, 860)
PHONE = (390, 844)
MISSING = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
