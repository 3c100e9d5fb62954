"""The attribution-graph page in headless Chromium: circuit-tracer's viewer (from the installed
package) draws an uploaded graph's nodes and links, and a clicked feature node shows that
feature's details from our API, with no console errors. Screenshot: graph-viewer.png."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from graphs import catalog, storage, viewer
from tests.support.accounts import Account
from tests.support.browser import in_ci
from tests.support.factories import make_activation, make_feature, make_model, make_source
from tests.support.graphs import GRAPH_MODEL, make_graph

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WAIT = 20


@pytest.fixture
def uploaded(alice: Account, settings: Any, tmp_path: Path) -> Any:
    if missing := viewer.missing():
        message = f"the graph viewer lacks {' and '.join(missing)}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    settings.GRAPH_LOCAL_DIR = tmp_path / "graphs"
    model = make_model(GRAPH_MODEL, layers=2, dimension=64)
    for layer in range(2):
        source = make_source(model, f"{layer}-tc-demo")
        feature = make_feature(
            source,
            3 + layer,
            pos_str=[f" whisk{layer}", " purr"],
            neg_str=[" bark"],
            max_act_approx=4.0,
        )
        make_activation(feature, [0.0, 1.0, 3.5, 0.5], tokens=["The", " cat", " sat", " down"])
    graph = make_graph()
    return catalog.record(graph, storage.save_json("g/cat-sat.json", graph), alice.user, "tc-demo")


def _errors(browser: WebDriver) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def test_the_viewer_draws_the_graph_and_a_clicked_features_details(
    browser: WebDriver, live_server: Any, uploaded: Any, screenshot: Callable[[str], Path]
) -> None:
    browser.get_log("browser")
    browser.get(f"{live_server.url}/{GRAPH_MODEL}/graph?slug=cat-sat")
    WebDriverWait(browser, WAIT).until(
        lambda d: d.execute_script("return document.body.dataset.graphReady") == "true"
    )
    kinds = browser.execute_script(
        "return d3.selectAll('.link-graph text.node').data().map(d => d.feature_type)"
    )
    assert kinds.count("embedding") == 4 and kinds.count("cross layer transcoder") == 2
    assert kinds.count("logit") == 1

    node = browser.execute_script(
        "return d3.selectAll('.link-graph text.node')"
        ".filter(d => d.feature_type == 'cross layer transcoder' && d.layer == '1').node()"
    )
    ActionChains(browser).move_to_element(node).click().perform()
    detail = browser.find_element(By.CSS_SELECTOR, ".feature-detail")
    # the feature's top logits and top activation, from /graph-lm/graph-features/1-tc-demo/4.json
    WebDriverWait(browser, WAIT).until(lambda d: "whisk1" in detail.text)
    assert "layer 1 cats" in detail.text and " sat" in detail.text
    link = detail.find_element(By.CSS_SELECTOR, ".feature-title a").get_attribute("href")
    assert link.endswith(f"/{GRAPH_MODEL}/1-tc-demo/4")
    # the clicked node's links: its input from the layer-0 feature
    connections = browser.find_element(By.CSS_SELECTOR, ".node-connections").text
    assert "layer 0 cats" in connections
    assert "clickedId=1_4_3" in browser.current_url
    screenshot("graph-viewer")
    assert _errors(browser) == []
