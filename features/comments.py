"""Comments on features."""

from __future__ import annotations

from typing import Any

from features.access import get_visible_feature
from features.models import Comment
from features.rows import row_dict
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

MIN_LENGTH, MAX_LENGTH = 5, 1024


def add_comment(user: User, model_id: str, layer: str, index: str, text: str) -> dict[str, Any]:
    """Comment on a visible feature; the text is trimmed and must be 5 to 1024 characters."""
    text = text.strip()
    if not MIN_LENGTH <= len(text) <= MAX_LENGTH:
        raise ApiError(f"text: Must be {MIN_LENGTH} to {MAX_LENGTH} characters.")
    feature = get_visible_feature(model_id, layer, index, user)
    comment = Comment.objects.create(
        user=user, model_id=feature.model_id, layer=feature.layer, index=feature.index, text=text
    )
    return {**row_dict(comment), "user": {"name": user.username}}


def delete_comment(user: User, comment_id: str) -> None:
    """Authors delete their own comments, admins any; others get a 404 (as for a missing one)."""
    comments = Comment.objects.filter(id=comment_id)
    if not user.admin:
        comments = comments.filter(user=user)
    if not comments.exists():
        raise ApiError("Comment not found.", status=404)
    comments.delete()
