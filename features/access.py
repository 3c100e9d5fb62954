"""Who may see which feature: Neuronpedia's visibility rules applied to sources and features.

A feature is visible when its model, its source set and its source all are (see
`VisibleQuerySet`: direct lookups allow PUBLIC, UNLISTED and the user's own rows; listings hide
UNLISTED rows of others; admins see everything). Every API path that reads or writes a feature
goes through this module, so the rule lives in one place.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import Exists, OuterRef, QuerySet

from features.models import VIEWABLE, Feature, Model, Source, SourceSet, VisibleQuerySet
from features.rows import table
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

NOT_FOUND_MESSAGE = "The model, source, or feature you specified is not available."

_Row = TypeVar("_Row", bound=models.Model)


def visible_sources(user: User | None, *, listed: bool = False) -> QuerySet[Source]:
    """Sources whose model, set and self the user may see (`listed`: global-listing rules)."""

    def scope(qs: VisibleQuerySet[_Row]) -> VisibleQuerySet[_Row]:
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


def visible_sql(alias: str) -> str:
    """The `viewable_by` rule as SQL on a table with visibility and creatorId.

    One text for every caller (so it can be prepared once): the parameters from
    `visibility_params` decide, `%(user_id)s` NULL for anonymous callers.
    """
    viewable = ", ".join(f"'{visibility}'" for visibility in VIEWABLE)
    return (
        f'({alias}."visibility" IN ({viewable}) '
        f'OR {alias}."creatorId" = %(user_id)s OR %(admin)s::boolean)'
    )


def listed_list_sql(alias: str) -> str:
    """Whether a List row's id may be shown to the caller in a listing (a feature's `lists`).

    Lists have no visibility (as upstream): anyone with the id reads one, like an UNLISTED row.
    So, like UNLISTED rows, their ids are listed only to their owner (and to admins).
    `visibility_params` gives the parameters.
    """
    return f'({alias}."userId" = %(user_id)s OR %(admin)s::boolean)'


def visible_model_sql(alias: str) -> str:
    """`FROM "Model" {alias} WHERE` the model `%(model_id)s` that the caller may see: no row
    when it is missing or hidden."""
    return f'FROM {table(Model)} {alias} WHERE {alias}."id" = %(model_id)s AND {visible_sql(alias)}'


def hidden_sources_sql(model_alias: str, among: str | None = "%(sources)s::text[]") -> str:
    """SQL array of the ids in `among` (every source of the model when None) whose Source row
    (of the model in `model_alias`) the caller may not see: the sources' own `visible_sql` rule,
    negated (NULL, for an anonymous caller, is not visible). Sources without a row are not
    hidden."""
    among_sql = f'AND s."id" = ANY({among}) ' if among else ""
    return (
        f'ARRAY(SELECT s."id" FROM {table(Source)} s WHERE s."modelId" = {model_alias}."id" '
        f"{among_sql}AND NOT COALESCE({visible_sql('s')}, false) "
        'ORDER BY s."id")'
    )


def visibility_params(user: User | None) -> dict[str, Any]:
    return {"user_id": user.id if user else None, "admin": bool(user and user.admin)}
