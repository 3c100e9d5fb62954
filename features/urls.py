"""The features app's routes: its API at Neuronpedia's paths, then the browser pages at
Neuronpedia's public URLs (`/{modelId}/{layer}/{index}`).

Included last by the site's URLconf: `/{modelId}/...` would otherwise catch every other route.
The official client sends the API paths without a trailing slash; either spelling reaches the
same view (`neuronpedia_site.middleware.ApiEitherSlashMiddleware`), never through a redirect.
"""

from __future__ import annotations

from django.urls import path

import neuronpedia_site.converters  # noqa: F401  (registers <segment:> and <model_id:>)
from features.api import list_views as lv
from features.api import views as v
from features.pages import views as pv

urlpatterns = [
    # -- API ---------------------------------------------------------------------------------
    path("api/feature/upload-batch", v.upload_batch, name="api-feature-upload-batch"),
    path(
        "api/feature/<segment:model_id>/<segment:layer>/<segment:index>",
        v.feature,
        name="api-feature",
    ),
    path("api/features", v.features_batch, name="api-features"),
    path("api/model/list", v.model_list, name="api-model-list"),
    path("api/model/get", v.model_get, name="api-model-get"),
    path("api/model/new", v.model_new, name="api-model-new"),
    path("api/source-set/new", v.source_set_new, name="api-source-set-new"),
    path("api/source-set/<segment:model_id>/<segment:name>", v.source_set, name="api-source-set"),
    # These come before `explanation/<id>`, which would otherwise take "search", "new", ...
    path("api/explanation/search", v.explanation_search, name="api-explanation-search"),
    path("api/explanation/search-all", v.explanation_search_all, name="api-explanation-search-all"),
    path(
        "api/explanation/search-model",
        v.explanation_search_model,
        name="api-explanation-search-model",
    ),
    path(
        "api/explanation/search-release",
        v.explanation_search_release,
        name="api-explanation-search-release",
    ),
    path("api/explanation/new", v.explanation_new, name="api-explanation-new"),
    path("api/explanation/export", v.explanation_export, name="api-explanation-export"),
    # Also before `explanation/<id>`: the autointerp routes (features/autointerp.py).
    path("api/explanation/generate", v.explanation_generate, name="api-explanation-generate"),
    path("api/explanation/score", v.explanation_score, name="api-explanation-score"),
    path(
        "api/explanation/score/<segment:score_id>/delete",
        v.explanation_score_delete,
        name="api-explanation-score-delete",
    ),
    path("api/explanation/<segment:explanation_id>", v.explanation, name="api-explanation"),
    path("api/explanation/<segment:explanation_id>/vote", v.explanation_vote, name="api-vote"),
    path(
        "api/explanation/<segment:explanation_id>/unvote", v.explanation_unvote, name="api-unvote"
    ),
    path(
        "api/explanation/<segment:explanation_id>/delete",
        v.explanation_delete,
        name="api-explanation-delete",
    ),
    path("api/list/new", lv.list_new, name="api-list-new"),
    path(
        "api/list/new-with-features", lv.list_new_with_features, name="api-list-new-with-features"
    ),
    path("api/list/add-features", lv.list_add_features, name="api-list-add-features"),
    path("api/list/remove", lv.list_remove, name="api-list-remove"),
    path("api/list/edit-feature", lv.list_edit_feature, name="api-list-edit-feature"),
    path("api/list/update", lv.list_update, name="api-list-update"),
    path("api/list/delete", lv.list_delete, name="api-list-delete"),
    path("api/list/list", lv.list_list, name="api-list-list"),
    path("api/list/get", lv.list_get, name="api-list-get"),
    path("api/list/comment/new", lv.list_comment_new, name="api-list-comment-new"),
    path("api/list/comment/delete", lv.list_comment_delete, name="api-list-comment-delete"),
    path("api/bookmark/add", lv.bookmark_add, name="api-bookmark-add"),
    path("api/bookmark/delete", lv.bookmark_delete, name="api-bookmark-delete"),
    path("api/user/bookmarks", lv.user_bookmarks, name="api-user-bookmarks"),
    path("api/comment/new", lv.comment_new, name="api-comment-new"),
    path("api/comment/delete", lv.comment_delete, name="api-comment-delete"),
    path("api/umap", v.umap_layout, name="api-umap"),
    path("api/user/api-key", lv.user_api_key, name="api-user-api-key"),
    path("api/user/api-key-update", lv.user_api_key_update, name="api-user-api-key-update"),
    # -- pages -------------------------------------------------------------------------------
    path("", pv.home, name="home"),
    path("account", pv.account, name="account"),
    path("search", pv.search, name="search"),
    path("list/<segment:list_id>", pv.list_page, name="list-page"),
    path("user/<segment:username>/vectors", pv.user_vectors, name="user-vectors"),
    path("search-topk-by-token", pv.search_topk_by_token, name="search-topk-by-token"),
    path("random/<segment:model_id>", pv.random_feature, name="random-feature"),
    path("random/<segment:model_id>/<segment:source>", pv.random_feature, name="random-source"),
    # A model's page, or a release's when no model has the name (features.pages.explore).
    path("<model_id:model_id>", pv.model_page, name="model-page"),
    # Before the browse route: a source set called "search" would be shadowed (none is).
    path("<model_id:model_id>/search", pv.inference_search, name="inference-search"),
    path("<model_id:model_id>/<segment:source_or_set>", pv.browse, name="browse"),
    path(
        "<model_id:model_id>/<segment:layer>/<segment:index>",
        pv.feature_page,
        name="feature-page",
    ),
]
