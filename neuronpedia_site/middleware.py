"""CORS for the API: every /api and /v1 answer carries `Access-Control-Allow-Origin: *`, as
Neuronpedia, but for the admin routes (`/api/admin/`), which other origins must not reach."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from neuronpedia_site.errors import error, json_or_html_404
from neuronpedia_site.input_rules import text_problem

ADMIN_PREFIX = "/api/admin/"


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
