"""The features app's API routes (Neuronpedia paths, exact trailing slashes).

The official client sends these paths without a trailing slash; APPEND_SLASH is off, so a
slash variant is a plain 404 and never a redirect that would drop a POST body.
"""

from __future__ import annotations

from django.urls import path, register_converter

from features import api_views as v
from features import list_views as lv


class KeyConverter:
    """A path segment without NUL characters (PostgreSQL text cannot hold them): 404, not 500."""

    regex = "[^/\\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(KeyConverter, "key")

urlpatterns = [
    path("api/feature/upload-batch", v.upload_batch, name="api-feature-upload-batch"),
    path("api/feature/<key:model_id>/<key:layer>/<key:index>", v.feature, name="api-feature"),
    path("api/features", v.features_batch, name="api-features"),
    path("api/model/list", v.model_list, name="api-model-list"),
    path("api/model/get", v.model_get, name="api-model-get"),
    path("api/model/new", v.model_new, name="api-model-new"),
    path("api/source-set/new", v.source_set_new, name="api-source-set-new"),
    path("api/source-set/<key:model_id>/<key:name>", v.source_set, name="api-source-set"),
    # The search routes come before `explanation/<id>`, which would otherwise take "search".
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
    path("api/explanation/<key:explanation_id>", v.explanation, name="api-explanation"),
    path("api/explanation/<key:explanation_id>/vote", v.explanation_vote, name="api-vote"),
    path("api/explanation/<key:explanation_id>/unvote", v.explanation_unvote, name="api-unvote"),
    path(
        "api/explanation/<key:explanation_id>/delete",
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
    path("api/user/api-key", lv.user_api_key, name="api-user-api-key"),
]
