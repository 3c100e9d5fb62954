"""Headless Chromium (Debian's `chromium` + `chromedriver`) driving the site on pytest-django's
`live_server`. One browser for the whole session; each test seeds its own rows.

Screenshots go to `test-artifacts/screenshots/` (gitignored) so a reviewer can look at every
page on a laptop and a phone without running the site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver

from tests.support.browser import LAPTOP, SCREENSHOTS, start_chrome


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    driver = start_chrome(LAPTOP)
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
