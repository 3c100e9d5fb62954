"""Every /api route takes its path with and without a trailing slash, as Neuronpedia (which
redirects `/x/` to `/x`) does, without a redirect: a POST body arrives either way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.test import APIClient

from neuronpedia_site.middleware import api_path

SAMPLE = {"int": "7"}  # any other converter (str, segment, model_id) takes "x7"


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def _example(route: str) -> str:
    """A concrete path that `route` (a path() route or one of our `^...$` regexes) matches."""
    path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "x7"), route)
    path = path.removeprefix("^").removesuffix("$").replace("/?", "")
    assert not re.search(r"[\\^$?*+()\[\]]", path), f"cannot build a path for {route}"
    return "/" + path.rstrip("/")


API_ROUTES = [(r, p) for r, p in _routes(get_resolver().url_patterns) if "api/" in r[:5]]


def test_the_walk_finds_the_api() -> None:
    names = {p.name for _, p in API_ROUTES}
    assert len(API_ROUTES) > 60
    assert {"api-steer", "api-feature", "api-explanation-search", "importer-tree"} <= names


@pytest.mark.parametrize(("route", "pattern"), API_ROUTES, ids=[r for r, _ in API_ROUTES])
def test_both_spellings_resolve_to_the_same_view(route: str, pattern: URLPattern) -> None:
    path = _example(route)
    without, with_slash = resolve(api_path(path)), resolve(api_path(f"{path}/"))
    assert without.url_name == with_slash.url_name == pattern.name
    assert without.func is with_slash.func is pattern.callback
    assert without.kwargs == with_slash.kwargs


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/explanation/search-all", "/api/explanation/search-all/"])
def test_a_post_body_arrives_with_either_spelling(anon: APIClient, path: str) -> None:
    response = anon.post(path, {"query": "ab"}, format="json")
    assert response.status_code == 400
    assert "query" in response.json()["error"]  # the body was read: too short a query


@pytest.mark.django_db
def test_the_other_spelling_is_routed_in_place(anon: APIClient) -> None:
    response = anon.get("/api/explanation/export/")
    assert response.status_code == 400 and "newUrl" in response.json()  # no 301/308
    assert anon.get("/api/steer-load/").status_code == 405  # a POST route, found
    assert anon.get("/api/nope/").status_code == 404
    assert anon.get("/api//").status_code == 404
