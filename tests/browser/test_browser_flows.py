"""The main flows in a real browser: browse to a dashboard, test your own text, make a list,
rotate an API key; and every page on a laptop and a phone (screenshots, no sideways scroll,
no script errors)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from features.models import Comment, ListsOnNeurons
from neuronpedia_site.accounts import seed_users
from neuronpedia_site.models import user_for_api_key
from tests.support.accounts import Account
from tests.support.browser import LAPTOP, PHONE
from tests.support.factories import make_feature, make_model, make_source
from tests.support.seed import FEATURE, MODEL, SOURCE, Site, seed_site
from tests.support.worker_processes import DEMO_PACK, DEMO_WORKER_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Shot = Callable[[str], Path]
WAIT = 10


def _wait_text(browser: WebDriver, selector: str, pattern: str) -> WebElement:
    """The element once its text matches `pattern` (a regex)."""

    def ready(driver: WebDriver) -> WebElement | bool:
        element = driver.find_element(By.CSS_SELECTOR, selector)
        return element if re.search(pattern, element.text) else False

    found = WebDriverWait(browser, WAIT).until(ready)
    assert isinstance(found, WebElement)
    return found


def _log_in(browser: WebDriver, base: str, account: Account) -> None:
    browser.get(f"{base}/login")
    browser.find_element(By.ID, "id_username").send_keys(account.user.username)
    browser.find_element(By.ID, "id_password").send_keys("password-123")
    browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(ec.url_contains("/account"))


def _open_feature_as(browser: WebDriver, base: str, account: Account) -> None:
    """The seeded feature's page on a laptop screen, logged in as `account`."""
    browser.set_window_size(*LAPTOP)
    _log_in(browser, base, account)
    browser.get(f"{base}/{MODEL}/{SOURCE}/{FEATURE}")


def _script_errors(browser: WebDriver) -> list[str]:
    """Script errors since the last call; HTTP error statuses (which the pages handle, and
    Chromium logs as "Failed to load resource") are not errors here."""
    return [
        e["message"]
        for e in browser.get_log("browser")
        if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]
    ]


@pytest.fixture
def site(alice: Account) -> Site:
    return seed_site(alice.user)


@pytest.fixture(autouse=True)
def _fresh_console(browser: WebDriver) -> None:
    browser.get_log("browser")  # the session's browser keeps earlier tests' entries


def test_home_to_model_to_source_to_feature(
    browser: WebDriver, live_server: object, site: Site, screenshot: Shot
) -> None:
    base = str(live_server)
    browser.set_window_size(*LAPTOP)
    browser.get(base + "/")
    screenshot("home")
    browser.find_element(By.LINK_TEXT, "GPT-2 Small").click()
    WebDriverWait(browser, WAIT).until(ec.url_to_be(f"{base}/{MODEL}"))
    screenshot("model")
    browser.find_element(By.LINK_TEXT, SOURCE).click()
    WebDriverWait(browser, WAIT).until(ec.url_to_be(f"{base}/{MODEL}/{SOURCE}"))
    screenshot("source")
    browser.find_element(By.CSS_SELECTOR, f'a[href="/{MODEL}/{SOURCE}/{FEATURE}"]').click()
    WebDriverWait(browser, WAIT).until(ec.url_to_be(f"{base}/{MODEL}/{SOURCE}/{FEATURE}"))
    screenshot("feature")

    assert (
        browser.find_element(By.ID, "top-explanation").text == "dinosaurs and prehistoric animals"
    )
    top = browser.find_element(By.CSS_SELECTOR, ".example .tok.max")
    assert top.text == " dinosaur" and top.get_attribute("title") == "4.000"
    assert "rgba(16, 185, 129" in top.value_of_css_property("background-color")
    # Keyboard users see the value too: focus shows it next to the token.
    top.send_keys("")  # focuses the token
    browser.execute_script("arguments[0].focus()", top)
    after = browser.execute_script("return getComputedStyle(arguments[0], '::after').content", top)
    assert after == '"4.000"'

    # The set's default range (2) shows 5 of the 10 tokens; the control widens it.
    first = browser.find_elements(By.CSS_SELECTOR, ".example")[0]
    assert len(first.find_elements(By.CSS_SELECTOR, ".tok")) == 5
    Select(browser.find_element(By.ID, "range")).select_by_value("all")
    browser.find_element(By.CSS_SELECTOR, "form.range button").click()
    WebDriverWait(browser, WAIT).until(ec.url_contains("range=all"))
    first = browser.find_elements(By.CSS_SELECTOR, ".example")[0]
    assert len(first.find_elements(By.CSS_SELECTOR, ".tok")) == 10
    assert _script_errors(browser) == []


def test_the_test_box_and_inference_search_explain_that_no_worker_is_running(
    browser: WebDriver, live_server: object, site: Site, screenshot: Shot
) -> None:
    browser.set_window_size(*LAPTOP)
    browser.get(f"{live_server}/{MODEL}/{SOURCE}/{FEATURE}")
    browser.find_element(By.ID, "test-text").send_keys("The dinosaur ate leaves")
    browser.find_element(By.ID, "test-submit").click()
    status = _wait_text(browser, "#test-status", "No inference worker is running")
    assert "error" in status.get_attribute("class")
    assert browser.find_element(By.ID, "test-result").get_attribute("hidden") is not None
    assert browser.find_element(By.ID, "test-submit").is_enabled()
    screenshot("feature-test-box-no-worker")
    # Search via inference says the same.
    browser.get(f"{live_server}/{MODEL}/search")
    browser.find_element(By.ID, "infer-text").send_keys("The dinosaur ate leaves")
    browser.find_element(By.ID, "infer-submit").click()
    _wait_text(browser, "#infer-status", "No inference worker is running")
    assert browser.find_element(By.ID, "infer-results").get_attribute("hidden") is not None


def test_the_test_box_shades_a_real_workers_activations(
    browser: WebDriver,
    live_server: object,
    alice: Account,
    start_worker: Callable[..., object],
    screenshot: Shot,
) -> None:
    seed_users()
    manifest = json.loads((DEMO_PACK / "manifest.json").read_text())
    index = manifest["topic_features"]["dinosaurs"]["features"]["1-res-demo"]
    model = make_model("demo-lm", layers=2, dimension=manifest["d_model"])
    make_feature(make_source(model, "1-res-demo"), index)
    start_worker(
        *DEMO_WORKER_ARGS,
        wait=120,
    )  # fmt: skip
    browser.set_window_size(*LAPTOP)
    browser.get(f"{live_server}/demo-lm/1-res-demo/{index}")
    browser.find_element(By.ID, "test-text").send_keys("What did a tyrannosaurus eat?")
    browser.find_element(By.ID, "test-submit").click()
    _wait_text(browser, "#test-status", r"Max activation [\d.]+ on")
    tokens = browser.find_elements(By.CSS_SELECTOR, "#test-result .tok")
    assert len(tokens) > 3
    shaded = [t for t in tokens if t.get_attribute("data-v")]
    assert shaded and all(
        "rgba(16, 185, 129" in t.value_of_css_property("background-color") for t in shaded
    )
    assert browser.find_element(By.CSS_SELECTOR, "#test-result .tok.max").get_attribute("title")
    screenshot("feature-test-box-worker")

    # Search via inference on the same worker lists the feature among those that fire.
    browser.get(f"{live_server}/demo-lm/search")
    browser.find_element(By.ID, "infer-text").send_keys("What did a tyrannosaurus eat?")
    browser.find_element(By.ID, "infer-submit").click()
    _wait_text(browser, "#infer-status", r"\d+ features fire on your text")
    links = browser.find_elements(By.CSS_SELECTOR, "#infer-results tbody a")
    assert f"/demo-lm/1-res-demo/{index}" in {a.get_attribute("pathname") for a in links}
    assert browser.find_elements(By.CSS_SELECTOR, "#infer-tokens .tok.max")
    screenshot("inference-search-worker")
    assert _script_errors(browser) == []


def test_create_a_list_add_the_feature_and_remove_it(
    browser: WebDriver, live_server: object, site: Site, alice: Account, screenshot: Shot
) -> None:
    _open_feature_as(browser, str(live_server), alice)
    assert Select(browser.find_element(By.ID, "list-select")).first_selected_option.text == (
        "A new list…"
    )
    browser.find_element(By.ID, "new-list-name").send_keys("Browser list")
    browser.find_element(By.ID, "add-to-list-submit").click()
    _wait_text(browser, "#list-status", r"Added to Browser list\.")
    screenshot("feature-added-to-list")
    item = ListsOnNeurons.objects.get(list__name="Browser list")
    assert (item.model_id, item.layer, item.index) == (MODEL, SOURCE, FEATURE)

    browser.find_element(By.LINK_TEXT, "Browser list").click()
    WebDriverWait(browser, WAIT).until(ec.url_contains("/list/"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Browser list"
    screenshot("list")
    browser.find_element(By.CSS_SELECTOR, "button.remove").click()
    WebDriverWait(browser, WAIT).until(ec.alert_is_present()).accept()  # it asks first
    _wait_text(browser, "#list-page-status", "Removed 6-res-jb · 7")
    assert browser.find_elements(By.CSS_SELECTOR, "button.remove") == []
    assert not ListsOnNeurons.objects.filter(list__name="Browser list").exists()
    assert _script_errors(browser) == []


def test_post_a_comment_on_a_feature(
    browser: WebDriver, live_server: object, site: Site, bob: Account, screenshot: Shot
) -> None:
    _open_feature_as(browser, str(live_server), bob)
    text = browser.find_element(By.ID, "comment-text")
    text.send_keys("Also fires on fossils.")
    browser.find_element(By.ID, "comment-submit").click()
    _wait_text(browser, "#comment-status", r"Posted\.")
    assert browser.find_elements(By.CSS_SELECTOR, "#comment-list li p")[-2].text == (
        "Also fires on fossils."
    )
    assert text.get_attribute("value") == ""
    screenshot("feature-comment")
    comment = Comment.objects.get(text="Also fires on fossils.")
    assert (comment.model_id, comment.layer, comment.index) == (MODEL, SOURCE, FEATURE)
    assert comment.user == bob.user
    browser.refresh()  # the page lists it too
    assert "Also fires on fossils." in browser.find_element(By.ID, "comment-list").text
    assert _script_errors(browser) == []


def test_account_shows_a_rotated_key_once(
    browser: WebDriver, live_server: object, alice: Account, screenshot: Shot
) -> None:
    base = str(live_server)
    browser.set_window_size(*LAPTOP)
    _log_in(browser, base, alice)
    assert browser.find_element(By.ID, "api-key-prefix").text == alice.key[:10] + "…"
    browser.find_element(By.ID, "rotate-key").click()
    WebDriverWait(browser, WAIT).until(ec.alert_is_present()).accept()  # it asks first
    key = _wait_text(browser, "#api-key", r"^sk-np-\w{44}$").text
    screenshot("account-rotated-key")
    assert key != alice.key
    assert user_for_api_key(key) == alice.user and user_for_api_key(alice.key) is None
    browser.get(f"{base}/account")
    assert browser.find_elements(By.ID, "api-key") == []


def test_every_page_fits_a_laptop_and_a_phone(
    browser: WebDriver, live_server: object, site: Site, alice: Account, screenshot: Shot
) -> None:
    base = str(live_server)
    vectors = make_source(site.model, "3-neuronpedia-resid-pre", visibility="UNLISTED")
    make_feature(vectors, 90000001, has_vector=True, creator=alice.user, vector_label="dinos")
    pages = {
        "home": "/",
        "model": f"/{MODEL}",
        "set": f"/{MODEL}/res-jb",
        "source": f"/{MODEL}/{SOURCE}",
        "feature": f"/{MODEL}/{SOURCE}/{FEATURE}",
        "feature-empty": f"/{MODEL}/{SOURCE}/3",
        "list": f"/list/{site.list.id}",
        "search": "/search?q=dinosaurs",
        "inference-search": f"/{MODEL}/search",
        "user-vectors": "/user/alice/vectors",
        "not-found": "/no-such-model/x/1",
    }
    _log_in(browser, base, alice)  # logged in, so the owner-only parts render too
    for size_name, size in (("laptop", LAPTOP), ("phone", PHONE)):
        browser.set_window_size(*size)
        for name, path in pages.items():
            browser.get(base + path)
            assert browser.find_element(By.TAG_NAME, "h1").text, path
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 1, f"{path} scrolls sideways on a {size_name} by {overflow}px"
            screenshot(f"{name}-{size_name}" if size_name == "phone" else name)
    assert _script_errors(browser) == []
