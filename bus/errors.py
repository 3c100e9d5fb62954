"""The bus's one error: a worker is missing, late, failed, or refused the request, with the
HTTP status the web side answers (`neuronpedia_site.errors` turns it into `{error, message}`)."""

from __future__ import annotations

from typing import Any


class WorkerError(Exception):
    def __init__(self, message: str, status: int, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.extra = extra or {}
