"""One error shape for the whole API: `{"error": ..., "message": ...}` (both the same text)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from bus.errors import WorkerError

log = logging.getLogger(__name__)
SERVER_ERROR_MESSAGE = "Something went wrong on our end. Please try again later."
NOT_FOUND_MESSAGE = "Not found."


class ApiError(exceptions.APIException):
    """Raise from views and domain modules with a status code and a message for the user."""

    status_code = 400
    default_detail = "Bad request."
    default_code = "bad_request"

    def __init__(
        self, message: str, status: int = 400, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status
        self.extra = extra or {}


def error_body(message: str, **extra: Any) -> dict[str, Any]:
    return {"error": message, "message": message, **extra}


def error(message: str, status: int = 400, **extra: Any) -> JsonResponse:
    """For plain Django views (SSE, /v1 contract)."""
    return JsonResponse(error_body(message, **extra), status=status)


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        parts = []
        for field, value in detail.items():
            text = _flatten(value)
            parts.append(text if field == "non_field_errors" else f"{field}: {text}")
        return "; ".join(parts)
    if isinstance(detail, list):
        return " ".join(_flatten(v) for v in detail)
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = ApiError(f"The request body is larger than {limit} bytes.", status=413)
    elif isinstance(exc, RecursionError):
        # json.loads recurses once per nesting level: a body nested ~1000 deep exhausts it.
        exc = ApiError("The request body is nested too deeply.")
    elif isinstance(exc, WorkerError):
        exc = ApiError(exc.message, status=exc.status, extra=exc.extra)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND_MESSAGE)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        log.exception("Unhandled API error", exc_info=exc)
        return Response(error_body(SERVER_ERROR_MESSAGE), status=500)
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    extra = getattr(exc, "extra", {})
    response.data = error_body(_flatten(detail), **extra)
    return response


def json_404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error(NOT_FOUND_MESSAGE, status=404)


def json_500(request: HttpRequest) -> JsonResponse:
    return error(SERVER_ERROR_MESSAGE, status=500)


def is_api_path(path: str) -> bool:
    """/api and /v1 and what lies under them: their errors are JSON."""
    return path in ("/api", "/v1") or path.startswith(("/api/", "/v1/"))


def json_or_html_404(request: HttpRequest, exception: Exception | None = None) -> Any:
    """JSON under /api/ and /v1/ (the client parses error bodies), the HTML page elsewhere."""
    if is_api_path(request.path):
        return json_404(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


def json_or_html_500(request: HttpRequest) -> Any:
    if is_api_path(request.path):
        return json_500(request)
    from django.views.defaults import server_error

    return server_error(request)
