"""Explanations by id: the detail view, votes, and deletion by their author."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from features.access import NOT_FOUND_MESSAGE, source_is_visible
from features.activation_rows import activation_dict
from features.models import Activation, Explanation, Feature, Vote
from features.rows import row_dict
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import PUBLIC_ACTIVATIONS_USER_IDS, User

EXPLANATION_NOT_FOUND = "Explanation not found."
# Neuronpedia's answers at its disabled `explanation/new` and removed `explanation/export`.
NEW_ENDPOINT_INACTIVE = "This endpoint is not currently active."
DATASETS_URL = "https://neuronpedia-datasets.s3.us-east-1.amazonaws.com/index.html?prefix=v1/"
EXPORT_REMOVED = (
    "This endpoint has been removed. Explanations exports can be downloaded more quickly and "
    f"efficiently at {DATASETS_URL} (this site imports them: docs/importer.md)."
)
# The embedding (256 floats) is an index for semantic search, not something clients read.
HIDDEN_COLUMNS = ("embedding",)


def get_visible_explanation(explanation_id: str, user: User | None) -> Explanation:
    """The explanation, if its feature is visible to `user`; 404 otherwise."""
    explanation = Explanation.objects.filter(id=explanation_id).first()
    if explanation is None or not source_is_visible(explanation.model_id, explanation.layer, user):
        raise ApiError(EXPLANATION_NOT_FOUND, status=404)
    return explanation


def explanation_detail(explanation_id: str, user: User | None) -> dict[str, Any]:
    """`GET /api/explanation/{id}`: the row with author, scores, votes, model and feature."""
    explanation = get_visible_explanation(explanation_id, user)
    explanation = (
        Explanation.objects.select_related("author", "model")
        .prefetch_related("scores", "votes")
        .get(pk=explanation.pk)
    )
    feature = Feature.objects.filter(
        model_id=explanation.model_id, layer=explanation.layer, index=explanation.index
    ).first()
    if feature is None:  # the foreign key makes this impossible short of a race
        raise ApiError(NOT_FOUND_MESSAGE, status=404)
    activations = Activation.objects.filter(
        model_id=feature.model_id,
        layer=feature.layer,
        index=feature.index,
        creator_id__in=PUBLIC_ACTIVATIONS_USER_IDS,
    ).order_by("-max_value", "id")
    return {
        **row_dict(explanation, exclude=HIDDEN_COLUMNS),
        "author": {"name": explanation.author.username},
        "neuron": {
            **row_dict(feature),
            "activations": [{**activation_dict(a), "source": a.layer} for a in activations],
        },
        "scores": [row_dict(s) for s in explanation.scores.all()],
        "model": row_dict(explanation.model),
        "votes": [row_dict(v) for v in explanation.votes.all()],
    }


def vote(explanation: Explanation, user: User) -> dict[str, Any]:
    """Upvote once; voting again returns the existing vote."""
    existing = Vote.objects.filter(voter=user, explanation=explanation).first()
    if existing is not None:
        return row_dict(existing)
    try:
        with transaction.atomic():
            created = Vote.objects.create(voter=user, explanation=explanation)
    except IntegrityError:  # a concurrent vote by the same user won
        created = Vote.objects.get(voter=user, explanation=explanation)
    return row_dict(created)


def unvote(explanation_id: str, user: User) -> dict[str, Any]:
    """Withdraw the user's vote; returns the deleted vote (404 when there was none)."""
    existing = Vote.objects.filter(voter=user, explanation_id=explanation_id).first()
    if existing is None:
        raise ApiError("Vote not found.", status=404)
    body = row_dict(existing)
    existing.delete()
    return body


def delete_explanation(explanation: Explanation, user: User) -> None:
    """Only the author (or an admin) may delete an explanation."""
    if explanation.author_id != user.id and not user.admin:
        raise ApiError("You can only delete explanations you created.", status=403)
    explanation.delete()
