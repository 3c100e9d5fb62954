"""Steering routes: the API (Neuronpedia's exact paths; `/api/steer/` and `/api/steer-chat/` take
the trailing slash the official client sends, or none) and the pages. Included before the
features app's `/{modelId}/...` catch-alls. The `/v1/steer/*` contract is the inference app's."""

from __future__ import annotations

from django.urls import path, re_path

import neuronpedia_site.converters  # noqa: F401  (registers <segment:> and <model_id:>)
from steering import pages, views

urlpatterns = [
    re_path(r"^api/steer/?$", views.steer_completion, name="api-steer"),
    re_path(r"^api/steer-chat/?$", views.steer_chat, name="api-steer-chat"),
    path("api/steer-load", views.steer_load, name="api-steer-load"),
    path("api/vector/new", views.vector_new, name="api-vector-new"),
    path("api/vector/get", views.vector_get, name="api-vector-get"),
    path("api/vector/delete", views.vector_delete, name="api-vector-delete"),
    path("api/vector/list-owned", views.vector_list_owned, name="api-vector-list-owned"),
    path(
        "api/activation/upload-batch",
        views.activation_upload_batch,
        name="api-activation-upload-batch",
    ),
    path("api/feature-search", views.feature_search, name="api-feature-search"),
    path("steer/<segment:steer_output_id>", pages.share_page, name="steer-share"),
    path("<model_id:model_id>/steer", pages.steer_page, name="steer-page"),
]
