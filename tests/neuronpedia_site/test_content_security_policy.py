"""Every answer, page or API, carries the site's Content-Security-Policy (what the browser test
tests/browser/test_content_security_policy.py checks the pages against)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _policy(path: str) -> dict[str, str]:
    header = Client().get(path)["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize("path", ["/", "/login", "/api/health", "/no-such-model/x/1"])
def test_answers_allow_only_the_sites_own_scripts_and_styles(path: str) -> None:
    policy = _policy(path)
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
