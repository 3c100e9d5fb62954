"""The explore pages in a real browser against a real demo-lm worker: top features by token,
a token click re-sorting search via inference, the UMAP scatter opening a feature, random
features and release pages; none scrolls sideways at 400 px, no script errors."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from features.models import Feature, Model, Source, SourceRelease, SourceSet
from tests.support.browser import LAPTOP, SCREENSHOTS
from tests.support.factories import make_explanation, make_model, make_source
from tests.support.worker_processes import (
    DEMO_WORKER_ARGS,
    empty_redis_but_workers,
    spawn_worker,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Shot = Callable[[str], Path]
WAIT = 20
SOURCE = "1-res-demo"
NARROW = (400, 860)
TEXT = "The dinosaur ate leaves near the volcano"


@pytest.fixture(scope="module")
def demo_worker(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    process = spawn_worker(
        tmp_path_factory.mktemp("explore-worker"),
        *DEMO_WORKER_ARGS,
        prefix="explore", wait=180,
    )  # fmt: skip
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Overrides the root fixture: keeps the module's worker reachable."""
    empty_redis_but_workers()
    yield


@pytest.fixture(autouse=True)
def _fresh_console(browser: WebDriver) -> None:
    browser.get_log("browser")


def _script_errors(browser: WebDriver) -> list[str]:
    return [
        e["message"]
        for e in browser.get_log("browser")
        if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]
    ]


def _wait_text(browser: WebDriver, selector: str, pattern: str) -> WebElement:
    def ready(driver: WebDriver) -> WebElement | bool:
        element = driver.find_element(By.CSS_SELECTOR, selector)
        return element if re.search(pattern, element.text) else False

    found = WebDriverWait(browser, WAIT).until(ready)
    assert isinstance(found, WebElement)
    return found


def _no_sideways_scroll(browser: WebDriver, what: str) -> None:
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 1, f"{what} scrolls sideways at 400 px by {overflow}px"


@pytest.fixture
def demo() -> Model:
    """demo-lm with 1-res-demo: features in rings around feature 0 (at the map's centre), each
    with a dashboard and an explanation, and a release holding its set."""
    model = make_model("demo-lm", layers=2, dimension=128, display_name="Demo LM")
    make_source(model, SOURCE, has_umap=True)
    release = SourceRelease.objects.create(
        name="demo-release", description="The demo pack's SAEs", creator_name="Neuronpedia"
    )
    SourceSet.objects.filter(model=model).update(release=release)
    rows = [Feature(model=model, layer=SOURCE, index="0", source_set_name="res-demo",
                    umap_x=0.0, umap_y=0.0, max_act_approx=2.0, frac_nonzero=0.01)]  # fmt: skip
    for i in range(1, 41):
        angle, radius = 2 * math.pi * (i % 8) / 8, 1 + (i - 1) // 8
        rows.append(
            Feature(
                model=model,
                layer=SOURCE,
                index=str(i),
                source_set_name="res-demo",
                umap_x=radius * math.cos(angle),
                umap_y=radius * math.sin(angle),
                max_act_approx=1.0 + i / 10,
                frac_nonzero=0.001 * i,
            )  # fmt: skip
        )
    Feature.objects.bulk_create(rows)
    for feature in Feature.objects.filter(layer=SOURCE):
        make_explanation(feature, f"topic {feature.index}")
    assert Source.objects.get(source_id=SOURCE).has_umap
    return model


def test_umap_scatter_hover_labels_and_click_opens_the_feature(
    browser: WebDriver, live_server: object, demo: Model, screenshot: Shot
) -> None:
    browser.set_window_size(*LAPTOP)
    browser.get(f"{live_server}/demo-lm/{SOURCE}")
    _wait_text(browser, "#umap-status", r"41 features")
    canvas = browser.find_element(By.ID, "umap-canvas")
    assert canvas.get_attribute("data-points") == "41"
    # Wholly in view, so the pointer goes to its true centre: feature 0.
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    ActionChains(browser).move_to_element(canvas).perform()
    tip = _wait_text(browser, "#umap-tip", r"1-res-demo · 0 topic 0")
    assert tip.get_attribute("data-index") == "0"
    # As the window is (the screenshot helper's resize would move the pointer off the map).
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "umap-pane-hover.png"))
    # Zoom in (wheel-free: the + button) and pan by dragging; the centre point stays clickable.
    browser.find_element(By.ID, "umap-zoom-in").click()
    ActionChains(browser).move_to_element(canvas).click().perform()
    WebDriverWait(browser, WAIT).until(ec.url_matches(rf"/demo-lm/{SOURCE}/0$"))
    assert browser.find_element(By.TAG_NAME, "h1").text
    assert _script_errors(browser) == []


def test_topk_page_lists_each_tokens_top_features(
    browser: WebDriver, live_server: object, demo: Model, demo_worker: Any, screenshot: Shot
) -> None:
    browser.set_window_size(*LAPTOP)
    browser.get(f"{live_server}/demo-lm")
    browser.find_element(By.LINK_TEXT, "Top features by token").click()
    browser.find_element(By.ID, "topk-text").send_keys(TEXT)
    browser.find_element(By.ID, "topk-submit").click()
    _wait_text(browser, "#topk-status", r"\d+ tokens\. Click a token")
    tokens = browser.find_elements(By.CSS_SELECTOR, "#topk-tokens .tok-button")
    assert "".join(t.text for t in tokens).replace("↵", "\n") == TEXT
    target = next(t for t in tokens if "dinosaur" in t.text or "volcano" in t.text)
    target.click()
    assert target.get_attribute("aria-pressed") == "true"
    assert target.text in browser.find_element(By.ID, "topk-token-label").text
    links = browser.find_elements(By.CSS_SELECTOR, "#topk-token-features tbody a")
    assert links and all(
        re.fullmatch(rf"/demo-lm/{SOURCE}/\d+", a.get_attribute("pathname") or "") for a in links
    )
    assert browser.find_elements(By.CSS_SELECTOR, "#topk-summary tbody tr")
    screenshot("topk-by-token")
    browser.set_window_size(*NARROW)
    _no_sideways_scroll(browser, "the top-k page")
    screenshot("topk-by-token-phone")
    assert _script_errors(browser) == []


def _result_paths(browser: WebDriver) -> list[str]:
    links = browser.find_elements(By.CSS_SELECTOR, "#infer-results tbody a")
    return [a.get_attribute("pathname") or "" for a in links]


def _api_paths(sort_indexes: list[int]) -> list[str]:
    body = {
        "modelId": "demo-lm", "sourceSet": "res-demo", "text": TEXT, "selectedLayers": [],
        "sortIndexes": sort_indexes, "ignoreBos": True, "densityThreshold": -1, "numResults": 50,
    }  # fmt: skip
    answer = APIClient().post("/api/search-all/", body, format="json")
    assert answer.status_code == 200, answer.json()
    return [f"/demo-lm/{r['layer']}/{r['index']}" for r in answer.json()["result"]]


def test_a_token_click_resorts_search_via_inference(
    browser: WebDriver, live_server: object, demo: Model, demo_worker: Any, screenshot: Shot
) -> None:
    browser.set_window_size(*LAPTOP)
    browser.get(f"{live_server}/demo-lm/search")
    browser.find_element(By.ID, "infer-text").send_keys(TEXT)
    browser.find_element(By.ID, "infer-submit").click()
    _wait_text(browser, "#infer-status", r"features fire on your text")
    by_max = _result_paths(browser)
    assert by_max == _api_paths([])
    tokens = browser.find_elements(By.CSS_SELECTOR, "#infer-tokens .tok")
    position = next(i for i, t in enumerate(tokens) if "volcano" in t.text or "cano" in t.text)
    tokens[position].click()
    _wait_text(browser, "#infer-status", r"Sorted by the token")
    by_token = _result_paths(browser)
    assert by_token == _api_paths([position])
    assert by_token != by_max
    pressed = browser.find_elements(By.CSS_SELECTOR, "#infer-tokens .tok[aria-pressed=true]")
    assert len(pressed) == 1
    screenshot("inference-search-sorted-by-token")
    pressed[0].click()  # again: back to the max order
    _wait_text(browser, "#infer-status", r"Click a token to sort by it")
    assert _result_paths(browser) == by_max
    browser.set_window_size(*NARROW)
    _no_sideways_scroll(browser, "search via inference")
    assert _script_errors(browser) == []


def test_random_and_release_pages_and_none_scrolls_sideways(
    browser: WebDriver, live_server: object, demo: Model, screenshot: Shot
) -> None:
    base = str(live_server)
    browser.set_window_size(*LAPTOP)
    browser.get(f"{base}/demo-release")
    assert browser.find_element(By.TAG_NAME, "h1").text == "The demo pack's SAEs"
    screenshot("release")
    browser.find_element(By.LINK_TEXT, "Random feature").click()
    WebDriverWait(browser, WAIT).until(ec.url_matches(rf"/demo-lm/{SOURCE}/\d+$"))
    browser.get(f"{base}/demo-lm/{SOURCE}")
    browser.find_element(By.LINK_TEXT, "Random feature").click()
    WebDriverWait(browser, WAIT).until(ec.url_matches(rf"/demo-lm/{SOURCE}/\d+$"))
    browser.set_window_size(*NARROW)
    pages = {
        "release-phone": "/demo-release",
        "source-umap-phone": f"/demo-lm/{SOURCE}",
        "random-phone": "/random/demo-lm",
        "topk-empty-phone": "/search-topk-by-token",
        "model-phone": "/demo-lm",
    }
    for name, path in pages.items():
        browser.get(base + path)
        assert browser.find_element(By.TAG_NAME, "h1").text, path
        if name == "source-umap-phone":
            _wait_text(browser, "#umap-status", r"41 features")
        _no_sideways_scroll(browser, path)
        screenshot(name)
    assert _script_errors(browser) == []
