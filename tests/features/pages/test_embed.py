"""`?embed=true`: the chromeless feature view with upstream's flags, the one page that other
sites may frame (features/pages/embed.py); every other page refuses frames."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from features.pages.embed import embed_options
from tests.support.seed import Site

pytestmark = pytest.mark.django_db
URL = "/gpt2-small/6-res-jb/7"


def _frame_ancestors(response: object) -> str:
    policy = dict(
        part.strip().split(" ", 1)
        for part in response["Content-Security-Policy"].split(";")  # type: ignore[index]
    )
    return policy["frame-ancestors"]


def test_the_embed_may_be_framed_by_any_site_by_default(site: Site) -> None:
    response = Client().get(URL + "?embed=true")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert _frame_ancestors(response) == "*"


def test_every_other_page_refuses_frames(site: Site) -> None:
    for path in (URL, URL + "?embed=false", "/", "/gpt2-small", "/search", "/gpt2-small/steer"):
        response = Client().get(path)
        assert response["X-Frame-Options"] == "DENY", path
        assert _frame_ancestors(response) == "'none'", path


@override_settings(EMBED_FRAME_ANCESTORS=["https://blog.example", "https://*.example.org"])
def test_the_operator_names_who_may_frame_embeds(site: Site) -> None:
    response = Client().get(URL + "?embed=true")
    assert _frame_ancestors(response) == "https://blog.example https://*.example.org"


def test_the_embed_has_no_site_chrome_and_shows_everything_by_default(site: Site) -> None:
    page = Client().get(URL + "?embed=true").content.decode()
    assert '<body class="embed">' in page
    assert '<header class="top">' not in page and "<footer" not in page
    assert 'aria-label="Breadcrumb"' not in page and 'id="comment-form"' not in page
    assert 'id="top-explanation"' in page  # embedexplanation
    assert 'id="stats-h"' in page and 'id="logits-h"' in page  # embedplots
    assert 'id="top-h"' in page  # embedactivations
    assert 'id="test-form"' in page  # embedtest
    assert 'id="steer-button"' in page and 'target="_blank"' in page  # embedsteer
    assert 'href="/gpt2-small/6-res-jb/7" target="_blank" rel="noopener" id="embed-link"' in page


def test_each_flag_hides_its_part(site: Site) -> None:
    hidden = {
        "embedexplanation": 'id="top-explanation"',
        "embedplots": 'id="stats-h"',
        "embedactivations": 'id="top-h"',
        "embedtest": 'id="test-form"',
        "embedsteer": 'id="steer-button"',
        "embedlink": 'id="embed-link"',
    }
    for flag, marker in hidden.items():
        page = Client().get(f"{URL}?embed=true&{flag}=false").content.decode()
        assert marker not in page, flag
        others = [m for f, m in hidden.items() if f != flag]
        assert all(m in page for m in others), flag


def test_default_test_text_fills_the_box_and_runs_when_the_field_is_hidden(site: Site) -> None:
    page = Client().get(URL + "?embed=true&defaulttesttext=The%20big%20dinosaur").content.decode()
    assert ">The big dinosaur</textarea>" in page and "data-autorun" not in page
    page = (
        Client().get(URL + "?embed=true&embedtestfield=false&defaulttesttext=Rawr").content.decode()
    )
    assert 'data-autorun="true" hidden>' in page and ">Rawr</textarea>" in page


def test_flags_read_like_upstreams() -> None:
    assert not embed_options({}).on
    options = embed_options({"embed": "true", "embedplots": "false", "embedtest": "0"})
    assert options.on and not options.plots and not options.test and options.explanation
    assert embed_options({"defaulttesttext": "x" * 5000}).default_test_text == "x" * 2000
