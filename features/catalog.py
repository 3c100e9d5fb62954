"""Models, source sets and sources as the user may see them (the visibility rules of
`features.access`)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from features.models import Model, Source, SourceRelease, SourceSet, Visibility
from features.rows import row_dict
from neuronpedia_format.sources import layer_of
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User


def models_with_sources(user: User | None) -> list[dict[str, Any]]:
    models = list(Model.objects.listed_for(user).order_by("id"))
    ids = [m.id for m in models]
    sets = SourceSet.objects.listed_for(user).filter(model_id__in=ids).order_by("name")
    sources = Source.objects.listed_for(user).filter(model_id__in=ids)
    by_set: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for source in sorted(sources, key=lambda s: (layer_of(s.source_id), s.source_id)):
        by_set.setdefault((source.model_id, source.set_name), []).append(row_dict(source))
    by_model: dict[str, list[dict[str, Any]]] = {}
    for source_set in sets:
        row = row_dict(source_set)
        row["sources"] = by_set.get((source_set.model_id, source_set.name), [])
        by_model.setdefault(source_set.model_id, []).append(row)
    return [{**row_dict(m), "sourceSets": by_model.get(m.id, [])} for m in models]


def _not_found(what: str) -> ApiError:
    return ApiError(f"{what} not found.", status=404)


def model_with_sets(model_id: str, user: User | None) -> dict[str, Any]:
    """`POST /api/model/get`: the model with the source sets and sources the user may see."""
    model = Model.objects.viewable_by(user).filter(id=model_id).first()
    if model is None:
        raise _not_found("Model")
    sets = SourceSet.objects.viewable_by(user).filter(model=model).order_by("name")
    sources = Source.objects.viewable_by(user).filter(model=model)
    by_set: dict[str, list[dict[str, Any]]] = {}
    for source in sorted(sources, key=lambda s: (layer_of(s.source_id), s.source_id)):
        by_set.setdefault(source.set_name, []).append(row_dict(source))
    return {
        **row_dict(model),
        "sourceSets": [{**row_dict(s), "sources": by_set.get(s.name, [])} for s in sets],
    }


def source_set_with_sources(model_id: str, name: str, user: User | None) -> dict[str, Any]:
    """`GET /api/source-set/{modelId}/{name}`: the set, its model, release and listed sources."""
    source_set = (
        SourceSet.objects.viewable_by(user)
        .filter(model_id=model_id, name=name, model__in=Model.objects.viewable_by(user))
        .select_related("model", "release")
        .first()
    )
    if source_set is None:
        raise _not_found("Source set")
    sources = Source.objects.listed_for(user).filter(model_id=model_id, set_name=name)
    release = source_set.release
    if (
        release is not None
        and not SourceRelease.objects.viewable_by(user).filter(name=release.name).exists()
    ):
        release = None  # hidden from this user
    return {
        **row_dict(source_set),
        "sources": [
            row_dict(s) for s in sorted(sources, key=lambda s: (layer_of(s.source_id), s.source_id))
        ],
        "releases": row_dict(release) if release is not None else None,
        "model": row_dict(source_set.model),
    }


@transaction.atomic
def new_model(
    user: User, model_id: str, layers: int, display_name: str | None, url: str | None
) -> dict[str, Any]:
    """`POST /api/model/new`: an UNLISTED model owned by `user` (400 when the id is taken)."""
    if Model.objects.filter(id=model_id).exists():
        raise ApiError("id: Model already exists.")
    model = Model.objects.create(
        id=model_id,
        creator=user,
        layers=layers,
        display_name=display_name or model_id,
        display_name_short=display_name or model_id,
        website=url or None,
        visibility=Visibility.UNLISTED,
        owner="custom",
    )
    return row_dict(model)


@transaction.atomic
def new_source_set(
    user: User, model_id: str, name: str, description: str | None, url: str | None
) -> dict[str, Any]:
    """`POST /api/source-set/new`: an UNLISTED custom set with one source per model layer.

    Anyone who can see the model may add a set to it (as upstream); the set and its sources
    (`{layer}-{name}`) belong to `user`, who alone may upload features into them.
    """
    model = Model.objects.viewable_by(user).filter(id=model_id).first()
    if model is None:
        raise ApiError("modelId: Model not found.")
    if SourceSet.objects.filter(model=model, name=name).exists():
        raise ApiError("name: Source set name already exists for this model.")
    SourceSet.objects.create(
        model=model,
        name=name,
        description=description or name,
        urls=[url or ""],
        visibility=Visibility.UNLISTED,
        type="Custom",
        creator_name=user.username,
        creator=user,
        has_dashboards=True,
        allow_inference_search=False,
    )
    Source.objects.bulk_create(
        Source(
            model=model,
            source_id=f"{layer}-{name}",
            set_name=name,
            creator=user,
            visibility=Visibility.UNLISTED,
            inference_enabled=False,
            has_dashboards=True,
        )
        for layer in range(model.layers)
    )
    return source_set_with_sources(model_id, name, user)
