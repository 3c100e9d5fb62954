"""Server-sent events: the one encoder of `data:` frames, and the response and renderer that
carry them (steering streams, the importer's progress)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.http import StreamingHttpResponse
from rest_framework import renderers
from rest_framework.negotiation import DefaultContentNegotiation


def sse_event(data: Any, event: str | None = None) -> bytes:
    """One SSE frame: an optional `event:` line, then the JSON `data:` line."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def event_stream(frames: Iterable[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(frames, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass frames on as they come
    return response


class EventStreamRenderer(renderers.BaseRenderer):
    """Lets clients that ask for `text/event-stream`, as SSE clients do, reach the streaming
    views. What DRF renders through it (an error, a whole answer) goes out as one event."""

    media_type = "text/event-stream"
    format = "sse"
    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return b"" if data is None else sse_event(data)


STREAMING_RENDERERS = [renderers.JSONRenderer, EventStreamRenderer]


class JsonWhateverIsAccepted(DefaultContentNegotiation):
    """For views whose answer is an event stream built by hand: what DRF renders for them (an
    error) is JSON, even for a client that accepts only `text/event-stream`."""

    def select_renderer(
        self, request: Any, renderers: Any, format_suffix: str | None = None
    ) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type
