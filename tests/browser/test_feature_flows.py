"""The researcher's flows around a feature, in headless Chromium: home → model → source →
feature → Steer with the feature preselected → share link; lists, bookmarks and votes that
round-trip with the server; the embed inside another origin's iframe; every page touched at
400 px wide without sideways scrolling; no script errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from features.models import Bookmark, ListsOnNeurons, Vote
from neuronpedia_site.accounts import seed_users
from steering.models import SteerOutput
from tests.browser.test_browser_flows import _log_in, _open_feature_as, _script_errors, _wait_text
from tests.support.accounts import Account
from tests.support.browser import LAPTOP
from tests.support.factories import (
    make_activation,
    make_explanation,
    make_feature,
    make_model,
    make_source,
)
from tests.support.seed import FEATURE, MODEL, SOURCE, Site, seed_site
from tests.support.worker_processes import DEMO_PACK, DEMO_WORKER_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Shot = Callable[[str], Path]
WAIT = 10
NARROW = (400, 900)


@pytest.fixture
def site(alice: Account) -> Site:
    return seed_site(alice.user)


@pytest.fixture(autouse=True)
def _fresh_console(browser: WebDriver) -> None:
    browser.get_log("browser")


def _accept_confirm(browser: WebDriver) -> str:
    alert = WebDriverWait(browser, WAIT).until(ec.alert_is_present())
    assert alert is not False
    text = alert.text
    alert.accept()
    return text


def test_home_to_feature_to_steer_with_the_feature_preselected_and_a_share_link(
    browser: WebDriver,
    live_server: object,
    alice: Account,
    start_worker: Callable[..., object],
    screenshot: Shot,
) -> None:
    seed_users()
    manifest = json.loads((DEMO_PACK / "manifest.json").read_text())
    index = manifest["topic_features"]["dinosaurs"]["features"]["1-res-demo"]
    model = make_model("demo-lm", display_name="Demo LM", layers=2, dimension=manifest["d_model"])
    feature = make_feature(make_source(model, "1-res-demo"), index, max_act_approx=16.0)
    make_explanation(feature, "dinosaurs and fossils")
    make_activation(feature, [0.0, 16.0, 1.0], [" The", " triceratops", " roared"])
    start_worker(
        *DEMO_WORKER_ARGS,
        wait=120,
    )  # fmt: skip
    base = str(live_server)
    browser.set_window_size(*LAPTOP)
    browser.get(base + "/")
    assert browser.find_element(By.CSS_SELECTOR, "#featured h2 a").get_attribute("pathname") == (
        f"/demo-lm/1-res-demo/{index}"
    )
    browser.find_element(By.LINK_TEXT, "Demo LM").click()
    WebDriverWait(browser, WAIT).until(ec.url_to_be(f"{base}/demo-lm"))
    browser.find_element(By.LINK_TEXT, "1-res-demo").click()
    WebDriverWait(browser, WAIT).until(ec.url_to_be(f"{base}/demo-lm/1-res-demo"))
    browser.find_element(By.CSS_SELECTOR, f'a[href="/demo-lm/1-res-demo/{index}"]').click()
    WebDriverWait(browser, WAIT).until(ec.url_to_be(f"{base}/demo-lm/1-res-demo/{index}"))
    screenshot("flow-feature")

    browser.find_element(By.ID, "steer-button").click()
    WebDriverWait(browser, WAIT).until(ec.url_contains("/demo-lm/steer?source=1-res-demo"))
    selected = browser.find_elements(By.CSS_SELECTOR, "#selected > li")
    assert [s.get_attribute("data-feature") for s in selected] == [f"1-res-demo/{index}"]
    assert "dinosaurs and fossils" in selected[0].text
    # A preset sets the slider and the number together.
    browser.find_element(By.XPATH, "//div[@class='presets']/button[starts-with(., 'High')]").click()
    assert browser.find_element(By.ID, "strength-0").get_attribute("value") == "20"
    assert (
        browser.find_element(By.CSS_SELECTOR, "#selected input[type=range]").get_attribute("value")
        == "20"
    )
    browser.find_element(By.ID, "normalize-steering").click()
    browser.find_element(By.CSS_SELECTOR, 'input[name="mode"][value="completion"]').click()
    browser.find_element(By.ID, "n-tokens").clear()
    browser.find_element(By.ID, "n-tokens").send_keys("6")
    browser.find_element(By.ID, "prompt").send_keys("My favourite animal is")
    browser.find_element(By.ID, "send").click()
    WebDriverWait(browser, 90).until(
        lambda b: (
            b.find_element(By.ID, "run-status").text in ("Done.",)
            or b.find_element(By.ID, "run-status").text.startswith("Steering failed")
        )
    )
    assert browser.find_element(By.ID, "run-status").text == "Done."
    share = browser.find_element(By.ID, "share-link")
    steered = SteerOutput.objects.get(type="STEERED")
    assert share.get_attribute("pathname") == f"/steer/{steered.id}"
    assert steered.normalize_steering and steered.strength_multiplier == 1
    screenshot("flow-steer")
    browser.get(base + share.get_attribute("pathname"))  # the link is on SITE_URL
    assert "My favourite animal is" in browser.find_element(By.TAG_NAME, "main").text
    # And back: the steer page links to the feature it came from.
    browser.get(f"{base}/demo-lm/steer?source=1-res-demo&index={index}")
    browser.find_element(By.ID, "back-to-feature").click()
    WebDriverWait(browser, WAIT).until(ec.url_to_be(f"{base}/demo-lm/1-res-demo/{index}"))
    assert _script_errors(browser) == []


def test_lists_panel_and_list_page_follow_the_server(
    browser: WebDriver, live_server: object, site: Site, alice: Account, screenshot: Shot
) -> None:
    base = str(live_server)
    _open_feature_as(browser, base, alice)
    # Alice's own list holds the feature already (the seed): the panel lists it.
    assert [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#feature-lists li")] == [
        "Dino features the T-rex one"
    ]
    browser.find_element(By.ID, "new-list-name").send_keys("Second list")
    browser.find_element(By.ID, "add-to-list-submit").click()
    _wait_text(browser, "#list-status", r"^Added to Second list\.$")
    names = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#feature-lists li a")]
    assert names == ["Dino features", "Second list"]
    # The same list again: the server adds nothing, and the page says so.
    assert Select(browser.find_element(By.ID, "list-select")).first_selected_option.text == (
        "Second list"
    )
    browser.find_element(By.ID, "add-to-list-submit").click()
    _wait_text(browser, "#list-status", r"^Already in Second list\.$")
    assert ListsOnNeurons.objects.filter(list__name="Second list").count() == 1
    assert len(browser.find_elements(By.CSS_SELECTOR, "#feature-lists li")) == 2
    screenshot("feature-lists-panel")

    browser.get(f"{base}/list/{site.list.id}")
    assert browser.find_element(By.ID, "list-count").text == "1 feature"
    browser.find_element(By.CSS_SELECTOR, "button.remove").click()
    assert _accept_confirm(browser) == f"Remove {SOURCE} · {FEATURE} from this list?"
    _wait_text(browser, "#list-page-status", f"Removed {SOURCE} · {FEATURE}")
    assert browser.find_element(By.ID, "list-count").text == "0 features"
    assert not ListsOnNeurons.objects.filter(list=site.list).exists()
    browser.refresh()
    assert browser.find_element(By.ID, "list-count").text == "0 features"
    assert _script_errors(browser) == []


def test_bookmark_and_vote_round_trip(
    browser: WebDriver, live_server: object, site: Site, alice: Account, screenshot: Shot
) -> None:
    _open_feature_as(browser, str(live_server), alice)
    star = browser.find_element(By.ID, "bookmark")
    assert star.get_attribute("aria-pressed") == "false"
    star.click()
    _wait_text(browser, "#action-status", r"^Bookmarked\.$")
    assert Bookmark.objects.filter(user=alice.user, index=FEATURE).count() == 1
    vote = browser.find_elements(By.CSS_SELECTOR, "button.vote")[0]
    vote.click()
    _wait_text(browser, "#action-status", r"^Voted\.$")
    assert Vote.objects.filter(voter=alice.user).count() == 1
    screenshot("feature-bookmarked-voted")

    browser.refresh()  # the server's state, as the page renders it
    star = browser.find_element(By.ID, "bookmark")
    vote = browser.find_elements(By.CSS_SELECTOR, "button.vote")[0]
    assert star.get_attribute("aria-pressed") == "true" and "Bookmarked" in star.text
    assert vote.get_attribute("aria-pressed") == "true" and vote.text == "▲ 1"
    star.click()
    _wait_text(browser, "#action-status", r"^Bookmark removed\.$")
    vote.click()
    _wait_text(browser, "#action-status", r"^Vote withdrawn\.$")
    assert vote.text == "▲ 0"
    assert not Bookmark.objects.filter(user=alice.user).exists()
    assert not Vote.objects.filter(voter=alice.user).exists()
    # Copy link copies the page's address (the page says so either way).
    browser.find_element(By.CSS_SELECTOR, 'button[data-copy="link"]').click()
    _wait_text(browser, "#action-status", r"^Link copied\.$")
    assert _script_errors(browser) == []


def test_rotating_the_api_key_asks_first(
    browser: WebDriver, live_server: object, alice: Account
) -> None:
    base = str(live_server)
    browser.set_window_size(*LAPTOP)
    _log_in(browser, base, alice)
    browser.find_element(By.ID, "rotate-key").click()
    alert = WebDriverWait(browser, WAIT).until(ec.alert_is_present())
    assert alert is not False and "Rotate your API key?" in alert.text
    alert.dismiss()  # nothing happens
    assert browser.find_elements(By.ID, "api-key") == []
    assert browser.find_element(By.ID, "api-key-prefix").text == alice.key[:10] + "…"


class _HostPage(BaseHTTPRequestHandler):
    """Another origin's page framing the embed and, for contrast, the normal page."""

    target = ""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = (
            "<!doctype html><title>Blog</title><h1>A blog post</h1>"
            f'<iframe id="embed" src="{self.target}?embed=true" width="700" height="600"></iframe>'
            f'<iframe id="normal" src="{self.target}" width="700" height="300"></iframe>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def host_page(live_server: object) -> Iterator[str]:
    handler = type("Host", (_HostPage,), {"target": f"{live_server}/{MODEL}/{SOURCE}/{FEATURE}"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # The other loopback name than the live server's, and another port: another origin.
    host = "127.0.0.1" if "//localhost:" in str(live_server) else "localhost"
    yield f"http://{host}:{server.server_address[1]}/post"
    server.shutdown()


def test_the_embed_renders_inside_another_origins_iframe_and_pages_do_not(
    browser: WebDriver, live_server: object, site: Site, host_page: str, screenshot: Shot
) -> None:
    assert host_page.split("/")[2].split(":")[0] != str(live_server).split("/")[2].split(":")[0]
    browser.set_window_size(*LAPTOP)
    browser.get(host_page)
    embed = browser.find_element(By.ID, "embed")
    browser.switch_to.frame(embed)
    title = WebDriverWait(browser, WAIT).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "h1.feature-title"))
    )
    assert title.text == f"{MODEL} · {SOURCE} · {FEATURE}"
    assert browser.find_element(By.ID, "top-explanation").text == (
        "dinosaurs and prehistoric animals"
    )
    assert browser.find_elements(By.CSS_SELECTOR, "header.top") == []
    browser.switch_to.default_content()
    browser.switch_to.frame(browser.find_element(By.ID, "normal"))
    assert browser.find_elements(By.CSS_SELECTOR, "h1.feature-title") == []  # refused
    browser.switch_to.default_content()
    screenshot("embed-in-another-origin")
    refused = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert any("frame-ancestors" in m or "X-Frame-Options" in m for m in refused), refused


def test_pages_fit_400px_without_sideways_scrolling(
    browser: WebDriver, live_server: object, site: Site, alice: Account, screenshot: Shot
) -> None:
    base = str(live_server)
    _log_in(browser, base, alice)
    pages = {
        "home": "/",
        "feature": f"/{MODEL}/{SOURCE}/{FEATURE}",
        "embed": f"/{MODEL}/{SOURCE}/{FEATURE}?embed=true",
        "steer": f"/{MODEL}/steer?source={SOURCE}&index={FEATURE}",
        "account": "/account",
        "list": f"/list/{site.list.id}",
        "search": "/search?q=dinosaurs",
    }
    browser.set_window_size(*NARROW)
    for name, path in pages.items():
        browser.get(base + path)
        assert browser.find_element(By.TAG_NAME, "h1").text, path
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 1, f"{path} scrolls sideways at 400 px by {overflow}px"
        screenshot(f"{name}-400")
    browser.set_window_size(*LAPTOP)
    assert _script_errors(browser) == []
