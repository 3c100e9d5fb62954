"""The API's own middleware.

- `ApiEitherSlashMiddleware`: `/api/x` and `/api/x/` reach the same view.
- `ApiCorsMiddleware`: every /api and /v1 answer carries `Access-Control-Allow-Origin: *`, as
  Neuronpedia, but for the admin routes (`/api/admin/`), which other origins must not reach.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from neuronpedia_site.errors import error, json_or_html_404
from neuronpedia_site.input_rules import text_problem

ADMIN_PREFIX = "/api/admin/"
API_PREFIX = "/api/"


def api_path(path: str) -> str:
    """The spelling of an /api path that its route takes: without a trailing slash. Every /api
    route is declared without one (tests/neuronpedia_site/test_api_trailing_slash.py)."""
    if path.startswith(API_PREFIX) and path.endswith("/") and path != API_PREFIX:
        return path[:-1]
    return path


class ApiEitherSlashMiddleware:
    """Every /api route takes its path with or without a trailing slash.

    Neuronpedia answers `/x/` with a 308 to `/x`, so its clients work with either spelling; the
    official client sends some paths with a slash and the others without. A redirect would
    make clients send a POST body twice (or drop it), so the slash is dropped in place: a
    string operation, where trying both spellings against the URLconf cost 0.26 ms a request.
    Before the rate limiter, which matches rules on the path."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = api_path(request.path_info)
        if path != request.path_info:
            request.path = request.path[: len(request.path) - len(request.path_info)] + path
            request.path_info = path
        return self.get_response(request)


class ApiCorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_api = request.path.startswith(("/api/", "/v1/")) and not request.path.startswith(
            ADMIN_PREFIX
        )
        if is_api and request.method == "OPTIONS":
            response = HttpResponse(status=204)
        else:
            response = self.get_response(request)
        if is_api:
            response["Access-Control-Allow-Origin"] = "*"
            response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Content-Type, X-Api-Key, X-SECRET-KEY"
        return response


class UnstorableInputMiddleware:
    """Paths and query strings under the site-wide input rules (`neuronpedia_site.input_rules`):
    a path with a NUL character names nothing (404), and a query parameter with one is a 400, as
    a JSON `{error, message}` under /api and /v1. Bodies are the JSON parser's to check."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if text_problem(request.path_info):
            return json_or_html_404(request)
        for name, values in request.GET.lists():
            problem = text_problem(name) or next(filter(None, map(text_problem, values)), None)
            if problem:
                message = f"Query parameter {name!r}: {problem}"
                if request.path.startswith(("/api/", "/v1/")):
                    return error(message, status=400)
                return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
