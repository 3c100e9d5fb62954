"""Server-Timing: how long the parts of a request took, in a response header.

With `SERVER_TIMING` on, every request gets a recorder; code marks its parts with
`with timing.part("gate"): ...`, and the response carries, in milliseconds,
`Server-Timing: hosts;dur=0.41, gate;dur=1.20, worker;dur=40.30, ..., app;dur=47.02`, where
`app` is the whole request inside Django (middleware, view, rendering). Browsers' developer
tools show the header; `bench/inference.py` reads it to split the web side's cost on machines
where a profiler is too slow or missing (a lent GPU machine). Off by default: it tells clients
how long our database and workers take, which a public site need not publish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from time import perf_counter

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# The current request's parts; None outside a timed request, so `part` costs one lookup then.
_parts: ContextVar[list[tuple[str, float]] | None] = ContextVar("server_timing", default=None)


@contextmanager
def part(name: str) -> Iterator[None]:
    """Time the block as `name` in this request's Server-Timing header (if it has one)."""
    parts = _parts.get()
    if parts is None:
        yield
        return
    started = perf_counter()
    try:
        yield
    finally:
        parts.append((name, (perf_counter() - started) * 1000))


def header(parts: list[tuple[str, float]]) -> str:
    return ", ".join(f"{name};dur={ms:.2f}" for name, ms in parts)


def parse(value: str) -> dict[str, float]:
    """`{name: milliseconds}` from a Server-Timing header (durations of a repeated name add)."""
    found: dict[str, float] = {}
    for metric in filter(None, (m.strip() for m in value.split(","))):
        name, *params = (p.strip() for p in metric.split(";"))
        for param in params:
            key, _, number = param.partition("=")
            if key == "dur":
                found[name] = found.get(name, 0.0) + float(number)
    return found


class ServerTimingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.SERVER_TIMING:
            return self.get_response(request)
        parts: list[tuple[str, float]] = []
        token = _parts.set(parts)
        started = perf_counter()
        try:
            response = self.get_response(request)
        finally:
            _parts.reset(token)
        parts.append(("app", (perf_counter() - started) * 1000))
        response["Server-Timing"] = header(parts)
        return response
