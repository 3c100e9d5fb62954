"""Headless Chromium (Debian's `chromium` + `chromedriver`) driving the site on pytest-django's
`live_server`. One browser for the whole session; each test seeds its own rows.

Screenshots go to `test-artifacts/screenshots/` (gitignored) so a reviewer can look at every
page on a laptop and a phone without running the site.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

from tests.support.browser import LAPTOP, SCREENSHOTS, require_chromium


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    require_chromium()
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={LAPTOP[0]},{LAPTOP[1]}")
    options.binary_location = shutil.which("chromium") or ""
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Naming the driver keeps Selenium Manager (which would look online) out of it.
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    yield driver
    driver.quit()


@pytest.fixture
def screenshot(browser: WebDriver) -> Callable[[str], Path]:
    """Save the whole page (the window grown to the document's height) as `<name>.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        size = browser.get_window_size()
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(size["width"], min(max(height + 140, 400), 4000))
        browser.save_screenshot(str(path))
        browser.set_window_size(size["width"], size["height"])
        return path

    return save


@pytest.fixture(autouse=True)
def _close_db_connections_after_each_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """The browser keeps HTTP connections alive, so live-server threads outlive requests; with
    persistent database connections (CONN_MAX_AGE) they would still hold sessions open when
    pytest-django drops the test database. Server threads read this dict when they connect."""
    from django.db import connections

    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
