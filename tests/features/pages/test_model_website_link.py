"""A model's `website` (imported, or given to /api/model/new) is a link only when it is an
http(s) URL: an imported `javascript:` URL must not be clickable on the model page."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.support.factories import make_model

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "website",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/",
        "https:no-host",
    ],
)
def test_a_non_http_website_is_not_a_link(website: str) -> None:
    make_model("odd-lm", website=website)
    page = Client().get("/odd-lm").content.decode()
    assert ">website</a>" not in page
    assert "alert(1)" not in page and "evil.example" not in page


def test_an_https_website_is_a_link() -> None:
    make_model("good-lm", website="https://example.org/good-lm?a=1&b=2")
    page = Client().get("/good-lm").content.decode()
    assert (
        '<a href="https://example.org/good-lm?a=1&amp;b=2" rel="noopener noreferrer nofollow">'
        "website</a>"
    ) in page
