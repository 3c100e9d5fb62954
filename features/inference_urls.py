"""Routes of the endpoints that run a model: Neuronpedia's `/api/...` paths and the inference
server contract under `/v1/...`.

The Neuronpedia client sends `/api/search-all/` and `/api/search-topk-by-token/` with a trailing
slash and the others without; each pattern takes both spellings, so neither a redirect (which
would drop a POST body) nor a 404 can happen.
"""

from __future__ import annotations

from django.urls import path, re_path

from features import inference_views as views

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
    path("v1/health", views.v1_health, name="v1-health"),
    path("v1/tokenize", views.v1_tokenize, name="v1-tokenize"),
    path("v1/activation/single", views.v1_activation_single, name="v1-activation-single"),
    path(
        "v1/activation/single-batch",
        views.v1_activation_single_batch,
        name="v1-activation-single-batch",
    ),
    path("v1/activation/all", views.v1_activation_all, name="v1-activation-all"),
    path("v1/activation/all-batch", views.v1_activation_all_batch, name="v1-activation-all-batch"),
    path(
        "v1/activation/topk-by-token",
        views.v1_activation_topk_by_token,
        name="v1-activation-topk-by-token",
    ),
    path(
        "v1/activation/topk-by-token-batch",
        views.v1_activation_topk_by_token_batch,
        name="v1-activation-topk-by-token-batch",
    ),
    path("v1/activation/source", views.v1_activation_source, name="v1-activation-source"),
    path("v1/util/sae-vector", views.v1_util_sae_vector, name="v1-util-sae-vector"),
    path(
        "v1/util/sae-topk-by-decoder-cossim",
        views.v1_util_sae_topk_by_decoder_cossim,
        name="v1-util-sae-topk-by-decoder-cossim",
    ),
]
