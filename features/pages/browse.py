"""What the browse pages show: models, releases, source sets, sources and their features,
lists, and a user's vectors, as the viewer may see them.

Visibility follows Neuronpedia: a page reached by URL shows PUBLIC and UNLISTED rows (and the
viewer's own), while listings (home, a model's sets, a set's sources) hide UNLISTED rows of
others. Anything hidden is a plain 404, so a private id cannot be told from a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Length
from django.http import Http404

from features.access import visible_sources
from features.models import (
    Activation,
    Explanation,
    Feature,
    List,
    ListsOnNeurons,
    Model,
    Source,
    SourceRelease,
    SourceSet,
)
from neuronpedia_format.sources import layer_of
from neuronpedia_site.models import PUBLIC_ACTIVATIONS_USER_IDS, User, UserSecret

FEATURES_PER_PAGE = 50
LIST_FEATURES_SHOWN = 300  # as upstream's list/get, which cuts larger lists


def _by_layer(sources: list[Source]) -> list[Source]:
    return sorted(sources, key=lambda s: (layer_of(s.source_id), s.source_id))


def viewable_model(model_id: str, user: User | None) -> Model:
    model = Model.objects.viewable_by(user).filter(id=model_id).first()
    if model is None:
        raise Http404("No such model.")
    return model


def listed_models(user: User | None) -> list[Model]:
    return list(Model.objects.listed_for(user).order_by("id"))


def home_context(user: User | None) -> dict[str, Any]:
    """Listed models with their listed sets, and listed releases with theirs."""
    listed_sets = SourceSet.objects.listed_for(user).order_by("name")
    models = (
        Model.objects.listed_for(user)
        .order_by("id")
        .prefetch_related(Prefetch("source_sets", queryset=listed_sets, to_attr="listed_sets"))
    )
    listed_model_ids = Model.objects.listed_for(user).values("id")
    releases = (
        SourceRelease.objects.listed_for(user)
        .order_by("-featured", "name")
        .prefetch_related(
            Prefetch(
                "source_sets",
                queryset=listed_sets.filter(model_id__in=listed_model_ids),
                to_attr="listed_sets",
            )
        )
    )
    return {
        "models": list(models),
        "releases": [r for r in releases if r.listed_sets],
        "featured": featured_feature(user),
    }


@dataclass
class Featured:
    model_id: str
    layer: str
    index: str
    description: str
    tokens: list[str]
    values: list[float]
    max_value: float


FEATURED_CONTEXT = 8  # tokens either side of the max token in the home page's snippet


def featured_feature(user: User | None) -> Featured | None:
    """A feature for the home page: `FEATURED_FEATURE` ("model/source/index") when set and
    visible, else the explained feature of a listed source with the most votes (then the best
    scores), with a snippet of its top activation."""
    sources = visible_sources(user, listed=True).filter(
        model_id=OuterRef("model_id"), source_id=OuterRef("layer")
    )
    explanations = Explanation.objects.filter(Exists(sources))
    wanted = settings.FEATURED_FEATURE.split("/")
    if len(wanted) == 3:
        chosen = explanations.filter(model_id=wanted[0], layer=wanted[1], index=wanted[2])
        explanations = chosen if chosen.exists() else explanations
    best = (
        explanations.annotate(n_votes=Count("votes"))
        .order_by("-n_votes", *explanation_order())
        .values("model_id", "layer", "index", "description")
        .first()
    )
    if best is None:
        return None
    top = (
        public_activations()
        .filter(model_id=best["model_id"], layer=best["layer"], index=best["index"])
        .order_by("-max_value")
        .values("tokens", "values", "max_value", "max_value_token_index")
        .first()
    )
    tokens: list[str] = []
    values: list[float] = []
    max_value = 0.0
    if top is not None:
        centre = top["max_value_token_index"]
        start = max(0, centre - FEATURED_CONTEXT)
        tokens = top["tokens"][start : centre + FEATURED_CONTEXT + 1]
        values = top["values"][start : centre + FEATURED_CONTEXT + 1]
        max_value = top["max_value"]
    return Featured(
        best["model_id"],
        best["layer"],
        best["index"],
        best["description"],
        tokens,
        values,
        max_value,
    )


@dataclass
class SetWithSources:
    source_set: SourceSet
    sources: list[Source]


def model_context(model: Model, user: User | None) -> dict[str, Any]:
    """The model's listed sets, each with its listed sources in layer order."""
    sets = list(SourceSet.objects.listed_for(user).filter(model=model).order_by("name"))
    sources = Source.objects.listed_for(user).filter(model=model)
    by_set: dict[str, list[Source]] = {}
    for source in _by_layer(list(sources)):
        by_set.setdefault(source.set_name, []).append(source)
    return {
        "model": model,
        "sets": [SetWithSources(s, by_set.get(s.name, [])) for s in sets],
        "searchable_sets": [s for s in sets if s.allow_inference_search],
    }


@dataclass
class BrowseTarget:
    """What `/{modelId}/{sourceOrSet}` names: one source, or a whole set."""

    model: Model
    source_set: SourceSet
    source: Source | None
    # The sources whose features the page lists (just `source`, or the set's listed ones).
    sources: list[Source]


def browse_target(model: Model, name: str, user: User | None) -> BrowseTarget:
    """A source id wins over a set name (ids such as `6-res-jb` never clash with set names)."""
    source = Source.objects.viewable_by(user).filter(model=model, source_id=name).first()
    set_name = source.set_name if source is not None else name
    source_set = SourceSet.objects.viewable_by(user).filter(model=model, name=set_name).first()
    if source_set is None:
        raise Http404("No such source or source set.")
    if source is not None:
        return BrowseTarget(model, source_set, source, [source])
    listed = Source.objects.listed_for(user).filter(model=model, set_name=set_name)
    return BrowseTarget(model, source_set, None, _by_layer(list(listed)))


def explanation_order() -> list[Any]:
    """Upstream's explanation order: scoreV2 desc with NULLs last, then scoreV1 desc."""
    return [F("score_v2").desc(nulls_last=True), F("score_v1").desc(), "id"]


def public_activations() -> QuerySet[Activation]:
    """Activations whose creator is one of the public ones (upstream's feature-page filter)."""
    return Activation.objects.filter(creator_id__in=PUBLIC_ACTIVATIONS_USER_IDS)


def _same_feature() -> dict[str, OuterRef]:
    return {
        "model_id": OuterRef("model_id"),
        "layer": OuterRef("layer"),
        "index": OuterRef("index"),
    }


def top_explanation() -> Subquery:
    """The outer row's feature's best explanation text (for `.annotate`)."""
    best = Explanation.objects.filter(**_same_feature()).order_by(*explanation_order())
    return Subquery(best.values("description")[:1])


def top_activation() -> Subquery:
    """The outer row's feature's largest public activation (for `.annotate`); the activation
    index (`activation_feature`) answers it without a sort."""
    best = public_activations().filter(**_same_feature()).order_by("-max_value")
    return Subquery(best.values("max_value")[:1])


def feature_page(target: BrowseTarget, page_number: str | int | None) -> Page:
    """One page of the target's features in (layer, numeric index) order, each annotated with
    its top explanation (`top_explanation`) and its largest public activation (`top_activation`).
    """
    layer_order = {s.source_id: i for i, s in enumerate(target.sources)}
    features = (
        Feature.objects.filter(model=target.model, layer__in=list(layer_order))
        .annotate(top_explanation=top_explanation(), top_activation=top_activation())
        # Indexes are decimal strings: length first gives numeric order without a cast.
        .order_by("layer", Length("index"), "index")
        .only("model_id", "layer", "index", "max_act_approx", "frac_nonzero", "has_vector")
    )
    if len(target.sources) > 1:
        # Sets list their sources in layer order ("2-x" before "10-x"), not text order.
        features = features.order_by(
            Case(
                *(When(layer=layer, then=Value(i)) for layer, i in layer_order.items()),
                output_field=IntegerField(),
            ),
            Length("index"),
            "index",
        )
    return Paginator(features, FEATURES_PER_PAGE).get_page(page_number)


def feature_exists(model: Model, layer: str, index: str) -> bool:
    return Feature.objects.filter(model=model, layer=layer, index=index).exists()


# Lists ----------------------------------------------------------------------------------------


@dataclass
class ListEntry:
    item: ListsOnNeurons
    top_explanation: str | None
    top_activation: float | None


def get_list(list_id: str) -> List:
    """Lists have no visibility of their own (as upstream): anyone with the id may read one."""
    found = List.objects.filter(id=list_id).select_related("user").first()
    if found is None:
        raise Http404("No such list.")
    return found


def list_entries(found: List, user: User | None) -> list[ListEntry]:
    """The list's features the reader may see, in the order they were added."""
    in_scope = visible_sources(user).filter(
        model_id=OuterRef("model_id"), source_id=OuterRef("layer")
    )
    items = (
        ListsOnNeurons.objects.filter(list=found)
        .filter(Exists(in_scope))
        .annotate(top_explanation=top_explanation(), top_activation=top_activation())
        .order_by("added_at", "key")[:LIST_FEATURES_SHOWN]
    )
    return [ListEntry(i, i.top_explanation, i.top_activation) for i in items]


LLM_KEY_TYPES = (
    ("OPENAI", "OpenAI"),
    ("ANTHROPIC", "Anthropic"),
    ("GOOGLE", "Google (Gemini)"),
    ("OPENROUTER", "OpenRouter"),
)


def llm_key_prefixes(user: User) -> list[tuple[str, str, str | None]]:
    """(type, label, the stored key's first characters or None) per LLM provider: a key is
    stored encrypted and never shown in full (neuronpedia_site/llm_keys.py)."""
    stored = dict(
        UserSecret.objects.filter(user=user, type__in=[t for t, _ in LLM_KEY_TYPES]).values_list(
            "type", "display_prefix"
        )
    )
    return [(kind, label, stored.get(kind)) for kind, label in LLM_KEY_TYPES]


def lists_of(user: User) -> list[List]:
    return list(List.objects.filter(user=user).order_by("-updated_at"))


# Vectors --------------------------------------------------------------------------------------


def user_vectors(owner: User, viewer: User | None) -> list[Feature]:
    """The owner's steering vectors: to the owner (and admins) every one in a source they may
    reach; to anyone else only those in listed (PUBLIC) sources. This page is a listing, and
    vector sets are UNLISTED: a vector there is reachable by its URL, not listed to others."""
    own = viewer is not None and (viewer.pk == owner.pk or viewer.admin)
    in_scope = visible_sources(viewer, listed=not own).filter(
        model_id=OuterRef("model_id"), source_id=OuterRef("layer")
    )
    return list(
        Feature.objects.filter(creator=owner, has_vector=True)
        .filter(Exists(in_scope))
        .order_by("-created_at")
        .only(
            "model_id",
            "layer",
            "index",
            "vector_label",
            "hook_name",
            "vector_default_steer_strength",
            "created_at",
        )
    )
