"""The path converters of every URLconf: a segment never holds a NUL character (PostgreSQL text
cannot store one, so such a path is a 404 rather than a 500), and a model id never takes a first
segment the site uses for itself."""

from __future__ import annotations

from django.urls import register_converter

# First path segments of the site's own routes: `/{modelId}/...` never matches them, so an
# unknown `/api/...` path stays the API's JSON 404 and never becomes a feature page.
RESERVED_FIRST_SEGMENTS = (
    "api",
    "v1",
    "admin",
    "static",
    "media",
    "account",
    "login",
    "logout",
    "signup",
    "list",
    "user",
    "steer",
    "search",
    "search-topk-by-token",
    "random",
    "graph-files",
    "graph-viewer",
)


class SegmentConverter:
    """`<segment:name>`: one path segment without NUL characters."""

    regex = "[^/\\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ModelIdConverter(SegmentConverter):
    """`<model_id:name>`: a segment that is not one of RESERVED_FIRST_SEGMENTS."""

    regex = "(?!(?:" + "|".join(RESERVED_FIRST_SEGMENTS) + ")(?:/|$))[^/\\x00]+"


register_converter(SegmentConverter, "segment")
register_converter(ModelIdConverter, "model_id")
