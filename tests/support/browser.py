"""Browser test settings: window sizes and where screenshots go."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

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


def start_chrome(size: tuple[int, int] = LAPTOP) -> WebDriver:
    """Headless Chromium with its console log kept, driven through Debian's chromedriver
    (naming the driver keeps Selenium Manager, which would look online, out of it)."""
    require_chromium()
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={size[0]},{size[1]}")
    options.binary_location = shutil.which("chromium") or ""
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))


def log_in_with_session(browser: WebDriver, base_url: str, user: Any) -> None:
    """Give the browser a logged-in session cookie for `user` (no login form)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    browser.get(base_url + "/login")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    browser.add_cookie({"name": cookie.key, "value": cookie.value, "path": "/"})
