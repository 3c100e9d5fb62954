"""The browser pages at Neuronpedia's public URLs, included last: `/{modelId}/...` would
otherwise catch every other route.

`{modelId}` never matches a first segment the site uses for itself (`api`, `v1`, `admin`, ...),
so an unknown `/api/...` path stays the API's JSON 404 and never becomes a feature page.
"""

from __future__ import annotations

from django.urls import path, register_converter

from features import page_views as v

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
)


class SegmentConverter:
    """One path segment without NUL characters (PostgreSQL text cannot hold them)."""

    regex = "[^/\\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ModelIdConverter(SegmentConverter):
    regex = "(?!(?:" + "|".join(RESERVED_FIRST_SEGMENTS) + ")(?:/|$))[^/\\x00]+"


register_converter(SegmentConverter, "page_segment")
register_converter(ModelIdConverter, "page_model")

urlpatterns = [
    path("search", v.search, name="search"),
    path("list/<page_segment:list_id>", v.list_page, name="list-page"),
    path("user/<page_segment:username>/vectors", v.user_vectors, name="user-vectors"),
    path("<page_model:model_id>", v.model_page, name="model-page"),
    # Before the browse route: a source set called "search" would be shadowed (none is).
    path("<page_model:model_id>/search", v.inference_search, name="inference-search"),
    path("<page_model:model_id>/<page_segment:source_or_set>", v.browse, name="browse"),
    path(
        "<page_model:model_id>/<page_segment:layer>/<page_segment:index>",
        v.feature_page,
        name="feature-page",
    ),
]
