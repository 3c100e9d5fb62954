"""Bookmarks: a user's saved features."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from features.access import get_visible_feature
from features.models import Bookmark
from features.rows import row_dict
from neuronpedia_site.models import User


def add_bookmark(user: User, model_id: str, layer: str, index: str) -> dict[str, Any]:
    """Bookmark a visible feature; bookmarking it again returns the existing bookmark."""
    feature = get_visible_feature(model_id, layer, index, user)
    key = {"model_id": feature.model_id, "layer": feature.layer, "index": feature.index}
    existing = Bookmark.objects.filter(user=user, **key).first()
    if existing is not None:
        return row_dict(existing)
    try:
        with transaction.atomic():
            return row_dict(Bookmark.objects.create(user=user, **key))
    except IntegrityError:  # the same bookmark added concurrently
        return row_dict(Bookmark.objects.get(user=user, **key))


def delete_bookmark(user: User, model_id: str, layer: str, index: str) -> dict[str, int]:
    """Delete the user's bookmark of a feature; `{count}` as upstream's deleteMany."""
    count, _ = Bookmark.objects.filter(
        user=user, model_id=model_id, layer=layer, index=index
    ).delete()
    return {"count": count}


def bookmarks_of(user: User) -> list[dict[str, Any]]:
    """The user's bookmarks, newest first."""
    return [row_dict(b) for b in Bookmark.objects.filter(user=user).order_by("-created_at", "id")]
