"""The explore pages' lookups: a random feature, a release and its source sets, and the
sources the top-k-by-token page offers.

Visibility as the browse pages (`features.pages.browse`): a release reached by its URL shows
when PUBLIC or UNLISTED (or the viewer's own); what it lists, and what a random draw picks
from, are listed rows only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.http import Http404

from features.access import visible_sources
from features.models import Feature, Model, Source, SourceRelease, SourceSet
from neuronpedia_format.sources import layer_of
from neuronpedia_site.models import User


def random_feature(model_id: str, user: User | None, source_id: str | None = None) -> Feature:
    """A feature with a dashboard (`maxActApprox` > 0) drawn uniformly from the model's listed
    sources (or from `source_id`, which may be unlisted but reached by name); 404 when none."""
    sources = visible_sources(user, listed=source_id is None).filter(
        model_id=model_id, has_dashboards=True
    )
    if source_id is not None:
        sources = sources.filter(source_id=source_id)
    features = Feature.objects.filter(
        model_id=model_id,
        layer__in=sources.values("source_id"),
        max_act_approx__gt=0,
    )
    count = features.count()
    if not count:
        raise Http404("No feature with a dashboard here.")
    # The (modelId, layer, index) unique index serves this order, so the offset walks an index.
    return features.order_by("layer", "index").only("model_id", "layer", "index")[
        secrets.randbelow(count)
    ]


@dataclass
class ReleaseSet:
    source_set: SourceSet
    sources: list[Source]


def viewable_release(name: str, user: User | None) -> SourceRelease:
    release = SourceRelease.objects.viewable_by(user).filter(name=name).first()
    if release is None:
        raise Http404("No such model or release.")
    return release


def release_sets(release: SourceRelease, user: User | None) -> list[ReleaseSet]:
    """The release's listed source sets of listed models, each with its listed sources in
    layer order."""
    sets = list(
        SourceSet.objects.listed_for(user)
        .filter(release=release, model__in=Model.objects.listed_for(user))
        .order_by("model_id", "name")
    )
    sources = Source.objects.listed_for(user).filter(
        model_id__in={s.model_id for s in sets}, set_name__in={s.name for s in sets}
    )
    by_set: dict[tuple[str, str], list[Source]] = {}
    for source in sorted(sources, key=lambda s: (layer_of(s.source_id), s.source_id)):
        by_set.setdefault((source.model_id, source.set_name), []).append(source)
    return [ReleaseSet(s, by_set.get((s.model_id, s.name), [])) for s in sets]


def searchable_sources(user: User | None) -> dict[str, list[str]]:
    """`{modelId: [source ids]}`: listed sources whose set allows inference search, for the
    top-k-by-token page's pickers."""
    sets = SourceSet.objects.listed_for(user).filter(
        allow_inference_search=True, model_id=OuterRef("model_id"), name=OuterRef("set_name")
    )
    found = (
        visible_sources(user, listed=True).filter(Exists(sets)).values_list("model_id", "source_id")
    )
    by_model: dict[str, list[str]] = {}
    for model_id, source_id in sorted(found, key=lambda r: (r[0], layer_of(r[1]), r[1])):
        by_model.setdefault(model_id, []).append(source_id)
    return by_model
