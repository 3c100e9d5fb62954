"""The live model behind an inference request, as the user may see it: the workers serving it
(`bus.routing`), 404 for a model or source hidden from the user, 503 (naming the queue) when no
worker runs at all, and the /v1 contract's "Unsupported model"."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import replace

from django.conf import settings

from bus import client, routing
from bus.routing import LiveModel
from features.access import (
    hidden_sources_sql,
    visibility_params,
    visible_model_sql,
    visible_sources,
)
from features.models import Model, Source
from features.sql import prepared
from neuronpedia_format.sources import source_set_of
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

MODEL_NOT_FOUND = "Model not found"
UNSUPPORTED_MODEL = "Unsupported model"  # the inference server's answer for another model


def find(model_id: str) -> LiveModel | None:
    """The live workers serving `model_id` (`bus.routing.find`), calls waiting INFERENCE_TIMEOUT."""
    return routing.find(model_id, timeout=settings.INFERENCE_TIMEOUT)


def require(model_id: str) -> LiveModel:
    """The live model, or 503 naming the queue a worker should consume."""
    live = find(model_id)
    if live is None:
        client.require_worker(client.inference_queue(model_id))  # raises the 503
        raise AssertionError("unreachable: the registry changed under us")
    return live


def check_visible(model_id: str, sources: Iterable[str], user: User | None) -> None:
    """404 unless the user may see the model and each of `sources` that has a row (private
    models and sources of others look absent). One prepared query.

    Sources served by a worker but never imported have no row; they are open to everyone who
    may see the model.
    """
    params = {"model_id": model_id, "sources": sorted(set(sources)), **visibility_params(user)}
    row = prepared.fetch_one("np_inference_visible", _visible_query(), params)
    if row is None:
        raise ApiError(MODEL_NOT_FOUND, status=404)
    if row[0]:
        raise ApiError(f"Source not found: {row[0][0]}", status=404)


@functools.cache
def _visible_query() -> str:
    return f"SELECT {hidden_sources_sql('m')} {visible_model_sql('m')}"


def require_for_contract(model_id: str, sources: Iterable[str | None] = ()) -> LiveModel:
    """Routing for the /v1 inference contract: 400 "Unsupported model" for a model nobody
    knows (as Neuronpedia's inference server) or that anonymous callers may not see, 503 when
    the model exists but has no worker. Sources anonymous callers may not see are left out of
    the live model, and naming one in `sources` is the same 404 as naming a source nobody
    serves."""
    check_contract_model(model_id)
    check_contract_sources(model_id, [s for s in sources if s])
    live = find(model_id)
    if live is None:
        if Model.objects.filter(id=model_id).exists():
            return require(model_id)
        raise ApiError(UNSUPPORTED_MODEL, status=400)
    hidden = _hidden_sources(model_id)
    return replace(live, sources={k: v for k, v in live.sources.items() if k not in hidden})


def contract_search_sources(live: LiveModel, source_set: str, selected: list[str]) -> list[str]:
    """The sources a /v1 search may rank: those selected, else the whole set, whose hidden
    members (absent from `live`) the worker must then be told to leave out."""
    if selected:
        return selected
    served = live.set_members(source_set)
    return served if _has_hidden_members(live, source_set) else []


def _has_hidden_members(live: LiveModel, source_set: str) -> bool:
    hidden = _hidden_sources(live.requested_id)
    return any(source_set_of(s) == source_set for s in hidden)


def check_contract_model(model_id: str) -> None:
    """400 "Unsupported model" for a model row anonymous callers may not see (the /v1 contract
    serves what is public; a model with no row, served by a worker, is open)."""
    if (
        Model.objects.filter(id=model_id).exists()
        and not Model.objects.viewable_by(None).filter(id=model_id).exists()
    ):
        raise ApiError(UNSUPPORTED_MODEL, status=400)


def check_contract_sources(model_id: str, sources: Iterable[str]) -> None:
    """404 for the first of `sources` that anonymous callers may not see."""
    hidden = _hidden_sources(model_id)
    for source in sources:
        if source in hidden:
            raise ApiError(f"Source not found: {source}", status=404)


def _hidden_sources(model_id: str) -> set[str]:
    rows = Source.objects.filter(model_id=model_id).values_list("source_id", flat=True)
    seen = visible_sources(None).filter(model_id=model_id).values_list("source_id", flat=True)
    return set(rows) - set(seen)
