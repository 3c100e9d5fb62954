"""The inference app's routes: the endpoints that run a model at Neuronpedia's `/api/...` paths,
and the whole inference server contract under `/v1/...`.

The Neuronpedia client sends `/api/search-all/` and `/api/search-topk-by-token/` with a trailing
slash and the others without; each pattern takes both spellings, so neither a redirect (which
would drop a POST body) nor a 404 can happen.
"""

from __future__ import annotations

from django.urls import path, re_path

from inference import v1_views, views

urlpatterns = [
    re_path(r"^api/activation/new/?$", views.activation_new, name="api-activation-new"),
    re_path(r"^api/activation/source/?$", views.activation_source, name="api-activation-source"),
    re_path(r"^api/search-all/?$", views.search_all, name="api-search-all"),
    re_path(
        r"^api/search-topk-by-token/?$",
        views.search_topk_by_token,
        name="api-search-topk-by-token",
    ),
    re_path(r"^api/cossim/?$", views.cossim, name="api-cossim"),
    re_path(r"^api/tokenize/?$", views.tokenize, name="api-tokenize"),
    path("v1/health", v1_views.v1_health, name="v1-health"),
    path("v1/tokenize", v1_views.v1_tokenize, name="v1-tokenize"),
    path("v1/activation/single", v1_views.v1_activation_single, name="v1-activation-single"),
    path(
        "v1/activation/single-batch",
        v1_views.v1_activation_single_batch,
        name="v1-activation-single-batch",
    ),
    path("v1/activation/all", v1_views.v1_activation_all, name="v1-activation-all"),
    path(
        "v1/activation/all-batch", v1_views.v1_activation_all_batch, name="v1-activation-all-batch"
    ),
    path(
        "v1/activation/topk-by-token",
        v1_views.v1_activation_topk_by_token,
        name="v1-activation-topk-by-token",
    ),
    path(
        "v1/activation/topk-by-token-batch",
        v1_views.v1_activation_topk_by_token_batch,
        name="v1-activation-topk-by-token-batch",
    ),
    path("v1/activation/source", v1_views.v1_activation_source, name="v1-activation-source"),
    path("v1/util/sae-vector", v1_views.v1_util_sae_vector, name="v1-util-sae-vector"),
    path(
        "v1/util/sae-topk-by-decoder-cossim",
        v1_views.v1_util_sae_topk_by_decoder_cossim,
        name="v1-util-sae-topk-by-decoder-cossim",
    ),
    path("v1/explain/default", v1_views.v1_explain_default, name="v1-explain-default"),
    path(
        "v1/score/fuzz-detection",
        v1_views.v1_score_fuzz_detection,
        name="v1-score-fuzz-detection",
    ),
    path("v1/score/embedding", v1_views.v1_score_embedding, name="v1-score-embedding"),
    path("v1/steer/completion", v1_views.v1_steer_completion, name="v1-steer-completion"),
    path(
        "v1/steer/completion-chat",
        v1_views.v1_steer_completion_chat,
        name="v1-steer-completion-chat",
    ),
    path("v1/graph/generate-graph", v1_views.v1_graph_generate, name="v1-graph-generate"),
    path("v1/graph/forward-pass", v1_views.v1_graph_forward_pass, name="v1-graph-forward-pass"),
    path("v1/graph/steer", v1_views.v1_graph_steer, name="v1-graph-steer"),
    path(
        "v1/graph/parse-chat-prompt",
        v1_views.v1_graph_parse_chat_prompt,
        name="v1-graph-parse-chat-prompt",
    ),
    path("v1/graph/check-busy", v1_views.v1_graph_check_busy, name="v1-graph-check-busy"),
]
