"""The panel's JavaScript in headless Chromium: the tree loads, Import runs, the tree and the
job list follow, the report renders, and the console stays clean."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from features.models import Feature
from tests.support.browser import require_chromium
from tests.support.exportgen import Export

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser() -> Iterator[Any]:
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium") or ""
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def test_the_panel_lists_imports_and_reports(
    browser: Any,
    live_server: Any,
    importer_worker: Any,
    s3_export: tuple[str, Export],
    settings: Any,
) -> None:
    from django.contrib.auth import get_user_model
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from neuronpedia_site.accounts import create_user, seed_users

    seed_users()
    settings.IMPORT_FROM = s3_export[0]
    create_user("panel-admin", password="password-123", admin=True)
    assert get_user_model().objects.get(username="panel-admin").is_staff
    wait = WebDriverWait(browser, 20)
    browser.get(f"{live_server.url}/admin/login/?next=/admin/importer/")
    browser.find_element(By.NAME, "username").send_keys("panel-admin")
    browser.find_element(By.NAME, "password").send_keys("password-123")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()

    model = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "[data-model=gpt2-small]")))
    model.find_element(By.TAG_NAME, "summary").click()
    wait.until(
        ec.text_to_be_present_in_element((By.ID, "importer-tree"), "res-jb — 0 of 2 imported")
    )

    # The panel re-renders its tree as jobs progress, so a row found a moment ago can be gone:
    # find and use it in one step, again if it went stale.
    def on_row(act: Callable[[Any], bool]) -> Callable[[Any], bool]:
        def step(driver: Any) -> bool:
            row = next(
                tr for tr in driver.find_elements(By.CSS_SELECTOR, "#importer-tree tr")
                if "6-res-jb" in tr.text
            )  # fmt: skip
            return act(row)

        return step

    rows = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,))

    def click(label: str) -> Callable[[Any], bool]:
        return lambda row: (
            row.find_element(By.XPATH, f".//button[text()='{label}']").click() or True
        )

    rows.until(on_row(click("Import")))
    wait.until(
        ec.text_to_be_present_in_element((By.ID, "importer-tree"), "res-jb — 1 of 2 imported")
    )
    assert Feature.objects.filter(layer="6-res-jb").count() == 6
    wait.until(ec.text_to_be_present_in_element((By.ID, "importer-jobs"), "Recent jobs (1)"))

    rows.until(on_row(lambda row: "imported" in row.text and "Re-sync" in row.text))
    rows.until(on_row(click("Report")))
    wait.until(ec.text_to_be_present_in_element((By.ID, "importer-report"), "complete"))
    report = browser.find_element(By.ID, "importer-report").text
    assert "Activation" in report and "18" in report
    logs = browser.get_log("browser")
    errors = [e for e in logs if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]
    assert errors == [], errors
