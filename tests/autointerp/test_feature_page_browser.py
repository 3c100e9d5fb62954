"""Generate and score explanations from the feature page in headless Chromium: the page's
forms call `/api/explanation/generate` and `/score`, the package's worker asks the scripted
OpenAI-compatible server, and the page shows the saved explanation and each example's verdict."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from bench.fake_llm import FakeLLM, Reply
from features.models import Explanation, ExplanationScore
from neuronpedia_site import llm_keys
from neuronpedia_site.models import UserSecret
from tests.autointerp.features import MODEL_ID, SOURCE_ID, dinosaur_feature, example_tokens
from tests.autointerp.test_score import knows_dinosaurs
from tests.support.accounts import Account
from tests.support.browser import SCREENSHOTS, log_in_with_session, start_chrome
from tests.support.worker_processes import WorkerProcess

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WAIT = 60


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    driver = start_chrome()
    yield driver
    driver.quit()


def _errors(browser: WebDriver) -> list[str]:
    return [
        e["message"]
        for e in browser.get_log("browser")
        if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]
    ]


def test_generate_then_score_from_the_feature_page(
    browser: WebDriver,
    live_server: Any,
    worker: WorkerProcess,
    llm: FakeLLM,
    alice: Account,
    config_rows: None,
) -> None:
    dinosaur_feature(count=12, zeros=3)
    llm_keys.save_user_key(alice.user, "OPENROUTER", "sk-good")
    log_in_with_session(browser, live_server.url, alice.user)
    browser.get(f"{live_server.url}/{MODEL_ID}/{SOURCE_ID}/7")
    assert "No explanations yet." in browser.find_element(By.ID, "explanations").text

    Select(browser.find_element(By.ID, "explainer-type")).select_by_value("np_max-act")
    Select(browser.find_element(By.ID, "explainer-model")).select_by_value("gpt-4o-mini")
    llm.queue(Reply(content="Method 1 succeeds: all are triceratops.\nExplanation: triceratops"))
    browser.find_element(By.ID, "generate-submit").click()
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "#explanations .expl-text")
    )  # the page reloads with the saved row
    assert [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".expl-text")] == ["triceratops"]
    saved = Explanation.objects.get()
    assert (saved.type_name_id, saved.explanation_model_name_id) == ("np_max-act", "gpt-4o-mini")
    assert saved.triggered_by_user_id == alice.user.id
    assert "".join(example_tokens(0)) in llm.chats()[0].last_user  # the page's feature's texts
    assert "np_max-act · gpt-4o-mini · by alice" in browser.find_element(By.ID, "explanations").text

    # The same explainer and model again: the server refuses, and the page says why.
    Select(browser.find_element(By.ID, "explainer-type")).select_by_value("np_max-act")
    Select(browser.find_element(By.ID, "explainer-model")).select_by_value("gpt-4o-mini")
    browser.find_element(By.ID, "generate-submit").click()
    status = WebDriverWait(browser, WAIT).until(
        lambda b: (
            b.find_element(By.ID, "generate-status").text.startswith("Could not")
            and b.find_element(By.ID, "generate-status")
        )
    )
    assert "already exists" in status.text and "error" in status.get_attribute("class")

    llm.default = knows_dinosaurs
    form = browser.find_element(By.CSS_SELECTOR, "form.score-form")
    Select(form.find_element(By.CSS_SELECTOR, ".scorer-type")).select_by_value("recall_alt")
    Select(form.find_element(By.CSS_SELECTOR, ".scorer-model")).select_by_value("gpt-4o-mini")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".score-value"))
    score = ExplanationScore.objects.get()
    assert score.value == 1.0
    assert browser.find_element(By.CSS_SELECTOR, ".score-value").text == "1.000"
    browser.find_element(By.CSS_SELECTOR, ".scores summary").click()
    rows = browser.find_elements(By.CSS_SELECTOR, "table.breakdown tbody tr")
    kinds = [r.find_element(By.TAG_NAME, "td").text for r in rows]
    assert (kinds.count("top"), kinds.count("zero"), kinds.count("decoy")) == (12, 3, 5)
    assert all(r.get_attribute("class") == "right" for r in rows)
    assert "triceratops" in rows[0].text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "feature-autointerp.png"))
    # The embedding scorer needs no model: the page hides the model picker for it.
    Select(browser.find_element(By.CSS_SELECTOR, ".scorer-type")).select_by_value(
        "eleuther_embedding"
    )
    assert not browser.find_element(By.CSS_SELECTOR, ".scorer-model").is_displayed()
    assert _errors(browser) == []


def test_set_and_clear_an_llm_key_on_the_account_page(
    browser: WebDriver, live_server: Any, llm: FakeLLM, alice: Account
) -> None:
    log_in_with_session(browser, live_server.url, alice.user)
    browser.get(f"{live_server.url}/account#llm-keys")
    form = browser.find_element(By.CSS_SELECTOR, 'form.llm-key[data-type="OPENROUTER"]')
    form.find_element(By.TAG_NAME, "input").send_keys("sk-good")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(
        lambda b: form.find_element(By.CSS_SELECTOR, ".llm-status").text == "Saved."
    )
    state = form.find_element(By.CSS_SELECTOR, ".llm-key-state")
    assert state.text == "set: sk-goo…"
    assert form.find_element(By.TAG_NAME, "input").get_attribute("value") == ""
    stored = UserSecret.objects.get(user=alice.user, type="OPENROUTER")
    assert stored.value.startswith("fernet:") and "sk-good" not in stored.value
    browser.refresh()
    form = browser.find_element(By.CSS_SELECTOR, 'form.llm-key[data-type="OPENROUTER"]')
    assert form.find_element(By.CSS_SELECTOR, ".llm-key-state").text == "set: sk-goo…"
    assert "sk-good" not in browser.page_source

    form.find_element(By.CSS_SELECTOR, ".llm-clear").click()
    alert = WebDriverWait(browser, WAIT).until(lambda b: b.switch_to.alert)
    assert alert.text == "Remove your OpenRouter key?"
    alert.accept()
    WebDriverWait(browser, WAIT).until(
        lambda b: form.find_element(By.CSS_SELECTOR, ".llm-status").text == "Removed."
    )
    assert form.find_element(By.CSS_SELECTOR, ".llm-key-state").text == "not set"
    assert not UserSecret.objects.filter(user=alice.user, type="OPENROUTER").exists()
    assert _errors(browser) == []
