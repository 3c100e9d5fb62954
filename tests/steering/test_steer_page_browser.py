"""The steer page in headless Chromium: search and add a feature, chat with streaming on both
sides (as a logged-in user, so the session's CSRF token is exercised), share, reload."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from steering.models import SteerOutput
from tests.support.accounts import Account
from tests.support.browser import require_chromium
from tests.support.steering import MODEL_ID
from tests.support.worker_processes import WorkerProcess

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
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(chromedriver))
    yield driver
    driver.quit()


def _log_in(browser: webdriver.Chrome, live_server: Any, account: Account) -> None:
    client = Client()
    client.force_login(account.user)
    browser.get(live_server.url + "/login")
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    browser.add_cookie({"name": cookie.key, "value": cookie.value, "path": "/"})


def _set(browser: webdriver.Chrome, element_id: str, value: str) -> None:
    field = browser.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(value)


def _replies(browser: webdriver.Chrome, side: str) -> list[str]:
    return [
        m.text
        for m in browser.find_elements(By.CSS_SELECTOR, f"#{side}-output li.message.assistant")
    ]


def test_chatting_on_the_steer_page(
    live_server: Any,
    browser: webdriver.Chrome,
    alice: Account,
    tiny_model: Any,
    steer_worker: WorkerProcess,
) -> None:
    _log_in(browser, live_server, alice)
    browser.get(f"{live_server.url}/{MODEL_ID}/steer")
    wait = WebDriverWait(browser, 30)

    _set(browser, "feature-query", "tiny feature 1-res-demo 4\n")
    add = wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#search-results button"))
    assert add[0].text == "Add 1-res-demo/4"
    add[0].click()
    _set(browser, "strength-0", "80")
    _set(browser, "temperature", "0")
    _set(browser, "n-tokens", "8")

    _set(browser, "prompt", "tell me about the cat")
    browser.find_element(By.ID, "prompt").send_keys(Keys.CONTROL, Keys.ENTER)
    wait.until(lambda b: b.find_element(By.ID, "run-status").text == "Done.")
    steered, default = _replies(browser, "steered"), _replies(browser, "default")
    assert len(steered) == len(default) == 1 and steered != default
    share = browser.find_element(By.ID, "share-link")
    row = SteerOutput.objects.get(type="STEERED")
    assert share.get_attribute("href") == f"{django_settings.SITE_URL}/steer/{row.id}"
    assert row.creator_id == alice.user.id  # the session (and its CSRF token) made the request

    # The next turn continues each side's own conversation.
    _set(browser, "prompt", "and the dog?")
    browser.find_element(By.ID, "send").click()
    wait.until(
        lambda b: (
            len(_replies(b, "default")) == 2 and b.find_element(By.ID, "run-status").text == "Done."
        )
    )
    assert len(_replies(browser, "steered")) == 2
    assert SteerOutput.objects.count() == 4

    # A saved result opens again in the steer page, features and conversation included.
    browser.get(f"{live_server.url}/{MODEL_ID}/steer?load={row.id}")
    wait.until(lambda b: b.find_element(By.ID, "run-status").text == "Loaded a saved result.")
    assert browser.find_element(By.ID, "strength-0").get_attribute("value") == "80"
    assert _replies(browser, "steered") == steered

    browser.get(f"{live_server.url}/steer/{row.id}")
    assert (
        steered[0].split(" ", 1)[-1].strip()[:10] in browser.find_element(By.TAG_NAME, "main").text
    )
