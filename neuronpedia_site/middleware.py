"""CORS for the API: every /api and /v1 answer carries `Access-Control-Allow-Origin: *`, as
Neuronpedia, but for the admin routes (`/api/admin/`), which other origins must not reach."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
