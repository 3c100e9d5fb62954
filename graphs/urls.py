"""Graph routes: the API at Neuronpedia's paths, the one-time upload URL, stored graph files,
and the pages. Included before the features app, whose `/{modelId}/...` pages catch the rest.
The graph server's own contract (`/v1/graph/...`) is mounted by the inference app."""

from __future__ import annotations

from django.urls import path, re_path

import neuronpedia_site.converters  # noqa: F401  (registers <segment:> and <model_id:>)
from graphs import pages, viewer, views

urlpatterns = [
    re_path(r"^api/graph/generate/?$", views.generate, name="api-graph-generate"),
    re_path(r"^api/graph/signed-put/?$", views.signed_put, name="api-graph-signed-put"),
    re_path(r"^api/graph/save-to-db/?$", views.save_to_db, name="api-graph-save-to-db"),
    re_path(r"^api/graph/delete/?$", views.delete, name="api-graph-delete"),
    re_path(r"^api/graph/list-owned/?$", views.list_owned, name="api-graph-list-owned"),
    re_path(r"^api/graph/list/?$", views.list_graphs, name="api-graph-list"),
    re_path(r"^api/graph/tokenize/?$", views.tokenize, name="api-graph-tokenize"),
    re_path(
        r"^api/graph/parse-chat-prompt/?$",
        views.parse_chat_prompt,
        name="api-graph-parse-chat-prompt",
    ),
    re_path(r"^api/graph/subgraph/save/?$", views.subgraph_save, name="api-graph-subgraph-save"),
    re_path(r"^api/graph/subgraph/list/?$", views.subgraph_list, name="api-graph-subgraph-list"),
    re_path(
        r"^api/graph/subgraph/delete/?$", views.subgraph_delete, name="api-graph-subgraph-delete"
    ),
    re_path(
        r"^api/graph/subgraph/list-featured/?$",
        views.subgraph_list_featured,
        name="api-graph-subgraph-list-featured",
    ),
    re_path(r"^api/steer-logits/?$", views.steer_logits, name="api-steer-logits"),
    path("api/graph/put/<segment:put_request_id>", views.put_upload, name="api-graph-put"),
    path("api/graph/<str:model_id>/<str:slug>", views.get_graph, name="api-graph-get"),
    path("graph-files/<path:key>", views.graph_file, name="graph-file"),
    path("graph-viewer/assets/<path:name>", viewer.asset, name="graph-viewer-asset"),
    path("graph-viewer/lib/<segment:name>", viewer.lib, name="graph-viewer-lib"),
    path("<model_id:model_id>/graph", pages.graph_page, name="graph-page"),
    path(
        "<model_id:model_id>/graph-features/<segment:source_id>/<int:index>.json",
        pages.feature,
        name="graph-feature-json",
    ),
]
