"""Who may see which feature: Neuronpedia's visibility rules applied to sources and features.

A feature is visible when its model, its source set and its source all are (see
`VisibleQuerySet`: direct lookups allow PUBLIC, UNLISTED and the user's own rows; listings hide
UNLISTED rows of others; admins see everything). Every API path that reads or writes a feature
goes through this module, so the rule lives in one place.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from features.models import Feature, Model, Source, SourceSet, Visibility
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

NOT_FOUND_MESSAGE = "The model, source, or feature you specified is not available."


def visible_sources(user: User | None, *, listed: bool = False) -> QuerySet[Source]:
    """Sources whose model, set and self the user may see (`listed`: global-listing rules)."""

    def scope(qs: QuerySet) -> QuerySet:
        return qs.listed_for(user) if listed else qs.viewable_by(user)

    sets = scope(SourceSet.objects.all()).filter(
        model_id=OuterRef("model_id"), name=OuterRef("set_name")
    )
    return (
        scope(Source.objects.all())
        .filter(model__in=scope(Model.objects.all()))
        .filter(Exists(sets))
    )


def source_is_visible(model_id: str, source_id: str, user: User | None) -> bool:
    return visible_sources(user).filter(model_id=model_id, source_id=source_id).exists()


def get_visible_feature(model_id: str, layer: str, index: str | int, user: User | None) -> Feature:
    """The feature, or a 404 that does not tell hidden from missing."""
    feature = (
        Feature.objects.filter(model_id=model_id, layer=layer, index=str(index))
        .filter(Exists(visible_sources(user).filter(model_id=model_id, source_id=layer)))
        .first()
    )
    if feature is None:
        raise ApiError(NOT_FOUND_MESSAGE, status=404)
    return feature


def visible_sql(alias: str, user: User | None) -> tuple[str, list[str]]:
    """The `viewable_by` rule as a SQL condition on a table with visibility and creatorId."""
    if user is not None and user.admin:
        return "TRUE", []
    shown = f"{alias}.\"visibility\" IN ('{Visibility.PUBLIC}', '{Visibility.UNLISTED}')"
    if user is None:
        return shown, []
    return f'({shown} OR {alias}."creatorId" = %s)', [user.id]
