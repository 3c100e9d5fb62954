"""/api/docs in headless Chromium: the page builds itself from the schema and sends requests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import require_chromium
from tests.support.factories import make_feature, make_model, make_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    # An explicit driver path keeps Selenium Manager from looking for browsers online.
    service = webdriver.ChromeService(executable_path=chromedriver)
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


def test_the_docs_page_lists_operations_and_sends_requests(live_server, browser, alice) -> None:
    make_feature(make_source(make_model("gpt2-small"), "6-res-jb"), 14057)
    browser.get(live_server.url + "/api/docs")
    wait = WebDriverWait(browser, 15)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "details.op")))
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "#operations h2")]
    assert {"Features", "Lists", "Explanations"} <= set(headings)
    browser.find_element(By.ID, "api-key").send_keys(alice.key)
    summary = next(
        s
        for s in browser.find_elements(By.CSS_SELECTOR, "details.op > summary")
        if s.text.split("\n")[:2] == ["GET", "/api/feature/{model_id}/{layer}/{index}"]
    )
    summary.click()
    operation = summary.find_element(By.XPATH, "..")
    for name, value in (("model_id", "gpt2-small"), ("layer", "6-res-jb"), ("index", "14057")):
        operation.find_element(By.CSS_SELECTOR, f"input[id$='-{name}']").send_keys(value)
    operation.find_element(By.TAG_NAME, "button").click()
    output = operation.find_element(By.TAG_NAME, "pre")
    wait.until(lambda _: output.text.startswith("200"))
    assert '"index": "14057"' in output.text
