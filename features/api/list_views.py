"""API views for what users keep: lists, bookmarks, comments and their API key.

Ownership of a list is decided once, in `_get_rw_list_for_user`.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from features import bookmarks, comments, lists
from features.api import schemas
from features.api import serializers as s
from features.models import List
from features.rows import row_dict
from neuronpedia_site import llm_keys
from neuronpedia_site.auth import ApiKeyRequired, authed_user, request_user
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User, UserSecret, set_api_key
from neuronpedia_site.validation import validated


def _get_rw_list_for_user(user: User, list_id: str) -> List:
    """The list if `user` may change it (its owner, or an admin): 404 if missing, else 403."""
    found = lists.get_list(list_id)
    if found.user_id != user.id and not user.admin:
        raise ApiError("You do not own this list.", status=403)
    return found


LIST_TAG = ["Lists"]


@extend_schema(
    tags=LIST_TAG,
    request=s.NewListSerializer,
    responses={200: schemas.ListSummarySerializer, **schemas.errors(400, 401)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def list_new(request: Request) -> Response:
    """Create an empty list."""
    body = validated(s.NewListSerializer, request.data)
    found = lists.new_list(
        authed_user(request), body["name"], body["description"], body.get("testText")
    )
    return Response(lists.list_summary(found))


@extend_schema(
    tags=LIST_TAG,
    request=s.NewListWithFeaturesSerializer,
    responses={200: schemas.ListSummarySerializer, **schemas.errors(400, 401)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def list_new_with_features(request: Request) -> Response:
    """Create a list with features in it; features you cannot see are skipped."""
    body = validated(s.NewListWithFeaturesSerializer, request.data)
    user = authed_user(request)
    found = lists.new_list(user, body["name"], body["description"], body.get("testText"))
    lists.add_features(found, user, body["features"], skip_hidden=True)
    return Response(lists.list_summary(found))


@extend_schema(
    tags=LIST_TAG,
    request=s.AddListFeaturesSerializer,
    responses={200: schemas.ListItemSerializer(many=True), **schemas.errors(400, 401, 403, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def list_add_features(request: Request) -> Response:
    """Add up to 100 features to your list; returns the list items added (a JSON array)."""
    body = validated(s.AddListFeaturesSerializer, request.data)
    user = authed_user(request)
    found = _get_rw_list_for_user(user, body["listId"])
    return Response(lists.add_features(found, user, body["featuresToAdd"]))


@extend_schema(
    tags=LIST_TAG,
    request=s.ListFeatureKeySerializer,
    responses={200: schemas.ListItemSerializer, **schemas.errors(400, 401, 403, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def list_remove(request: Request) -> Response:
    """Remove a feature from your list; returns the removed item."""
    body = validated(s.ListFeatureKeySerializer, request.data)
    found = _get_rw_list_for_user(authed_user(request), body["listId"])
    return Response(lists.remove_feature(found, body["modelId"], body["layer"], body["index"]))


@extend_schema(
    tags=LIST_TAG,
    request=s.EditListFeatureSerializer,
    responses={200: schemas.ListItemSerializer, **schemas.errors(400, 401, 403, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def list_edit_feature(request: Request) -> Response:
    """Change the description of a feature in your list."""
    body = validated(s.EditListFeatureSerializer, request.data)
    found = _get_rw_list_for_user(authed_user(request), body["listId"])
    return Response(
        lists.edit_feature(
            found, body["modelId"], body["layer"], body["index"], body["description"]
        )
    )


@extend_schema(
    tags=LIST_TAG,
    request=s.UpdateListSerializer,
    responses={200: schemas.ListRowSerializer, **schemas.errors(400, 401, 403, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def list_update(request: Request) -> Response:
    """Rename your list, change its description or its default test text."""
    body = validated(s.UpdateListSerializer, request.data)
    found = _get_rw_list_for_user(authed_user(request), body["listId"])
    return Response(
        lists.update_list(found, body["name"], body["description"], body.get("defaultTestText"))
    )


@extend_schema(
    tags=LIST_TAG,
    request=s.ListIdSerializer,
    responses={200: bool, **schemas.errors(400, 401, 403, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def list_delete(request: Request) -> Response:
    """Delete your list (its items and comments go with it). Returns `true`."""
    body = validated(s.ListIdSerializer, request.data)
    lists.delete_list(_get_rw_list_for_user(authed_user(request), body["listId"]))
    return Response(True)


@extend_schema(
    tags=LIST_TAG,
    request=None,
    responses={200: schemas.ListRowSerializer(many=True), **schemas.errors(401)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def list_list(request: Request) -> Response:
    """Your lists, oldest first (no request body needed)."""
    return Response(lists.lists_of(authed_user(request)))


@extend_schema(
    tags=LIST_TAG,
    request=s.ListIdSerializer,
    responses={200: schemas.ListDetailSerializer, **schemas.errors(400, 404)},
)
@api_view(["POST"])
def list_get(request: Request) -> Response:
    """A list (anyone with its id may read it) with the features in it you can see, each with
    its explanations and top 3 activations, plus comments."""
    body = validated(s.ListIdSerializer, request.data)
    return Response(lists.list_detail(lists.get_list(body["listId"]), request_user(request)))


@extend_schema(
    tags=LIST_TAG,
    request=s.ListCommentSerializer,
    responses={200: schemas.ListCommentRowSerializer, **schemas.errors(400, 401, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def list_comment_new(request: Request) -> Response:
    """Comment on a list (anyone signed in may)."""
    body = validated(s.ListCommentSerializer, request.data)
    found = lists.get_list(body["listId"])
    return Response(lists.add_comment(found, authed_user(request), body["text"]))


@extend_schema(
    tags=LIST_TAG,
    request=s.ListCommentDeleteSerializer,
    responses={200: schemas.CountSerializer, **schemas.errors(400, 401)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def list_comment_delete(request: Request) -> Response:
    """Delete your comment on a list; `{count: 0}` when it is not yours."""
    body = validated(s.ListCommentDeleteSerializer, request.data)
    return Response(lists.delete_comment(body["commentId"], authed_user(request)))


@extend_schema(
    tags=["Bookmarks"],
    request=s.FeatureKeySerializer,
    responses={200: schemas.BookmarkSerializer, **schemas.errors(400, 401, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def bookmark_add(request: Request) -> Response:
    """Bookmark a feature (again: returns the existing bookmark)."""
    body = validated(s.FeatureKeySerializer, request.data)
    return Response(
        bookmarks.add_bookmark(authed_user(request), body["modelId"], body["layer"], body["index"])
    )


@extend_schema(
    tags=["Bookmarks"],
    request=s.FeatureKeySerializer,
    responses={200: schemas.CountSerializer, **schemas.errors(400, 401)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def bookmark_delete(request: Request) -> Response:
    """Remove your bookmark of a feature; returns how many were removed."""
    body = validated(s.FeatureKeySerializer, request.data)
    return Response(
        bookmarks.delete_bookmark(
            authed_user(request), body["modelId"], body["layer"], body["index"]
        )
    )


@extend_schema(
    tags=["Bookmarks"],
    request=None,
    responses={200: schemas.BookmarkSerializer(many=True), **schemas.errors(401)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def user_bookmarks(request: Request) -> Response:
    """Your bookmarks, newest first."""
    return Response(bookmarks.bookmarks_of(authed_user(request)))


@extend_schema(
    tags=["Comments"],
    request=s.CommentSerializer,
    responses={200: schemas.CommentRowSerializer, **schemas.errors(400, 401, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def comment_new(request: Request) -> Response:
    """Comment on a feature (5 to 1024 characters)."""
    body = validated(s.CommentSerializer, request.data)
    return Response(
        comments.add_comment(
            authed_user(request), body["modelId"], body["layer"], body["index"], body["text"]
        )
    )


@extend_schema(
    tags=["Comments"],
    request=s.CommentDeleteSerializer,
    responses={200: schemas.MessageSerializer, **schemas.errors(400, 401, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def comment_delete(request: Request) -> Response:
    """Delete your comment."""
    body = validated(s.CommentDeleteSerializer, request.data)
    comments.delete_comment(authed_user(request), body["id"])
    return Response({"message": "ok"})


@extend_schema(
    tags=["User"],
    request=s.ApiKeyRequestSerializer,
    responses={200: schemas.ApiKeySerializer, **schemas.errors(400, 401, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def user_api_key(request: Request) -> Response:
    """Your secret of a type. For `NEURONPEDIA` this **rotates** your API key and returns the
    new one in `value` (keys are stored hashed, so the old one cannot be shown); the key you
    called with stops working."""
    body = validated(s.ApiKeyRequestSerializer, request.data)
    user = authed_user(request)
    if body["type"] == UserSecret.Type.NEURONPEDIA:
        key = set_api_key(user)
        secret = UserSecret.objects.get(user=user, type=UserSecret.Type.NEURONPEDIA)
        return Response({**row_dict(secret), "value": key})
    found = UserSecret.objects.filter(user=user, type=body["type"]).first()
    if found is None:
        raise ApiError("Secret not found.", status=404)
    # An LLM key is stored encrypted and never shown again: only its first characters.
    return Response({**row_dict(found), "value": found.display_prefix})


@extend_schema(
    tags=["User"],
    request=s.ApiKeyUpdateSerializer,
    responses={200: schemas.MessageSerializer, **schemas.errors(400, 401)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def user_api_key_update(request: Request) -> Response:
    """Set your LLM key for a provider (OPENAI, ANTHROPIC, GOOGLE, OPENROUTER), used by
    auto-interp. The key is checked against the provider's endpoint first and stored
    encrypted; an empty `value` removes it."""
    body = validated(s.ApiKeyUpdateSerializer, request.data)
    user = authed_user(request)
    if body["value"] == "":
        llm_keys.remove_user_key(user, body["type"])
        return Response({"message": "API key removed"})
    llm_keys.check_key(body["type"], body["value"])
    llm_keys.save_user_key(user, body["type"], body["value"])
    return Response({"message": "API key updated"})
