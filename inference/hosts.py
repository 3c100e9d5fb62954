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
    visible_sql,
)
from features.models import Model
from features.rows import table
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
    return _contract_live(model_id, sources)[0]


def search_for_contract(
    model_id: str, source_set: str, selected: list[str]
) -> tuple[LiveModel, list[str]]:
    """`require_for_contract` for a /v1 search, and the sources it may rank: those `selected`,
    else the whole set, less its hidden members when it has any (the worker ranks a set by
    what it serves, so it must then be told which members to keep)."""
    live, hidden = _contract_live(model_id, selected)
    if selected or not any(source_set_of(s) == source_set for s in hidden):
        return live, selected
    return live, live.set_members(source_set)


def check_contract_access(model_id: str, sources: Iterable[str | None]) -> frozenset[str]:
    """What the /v1 contract may serve, in one prepared query: 400 "Unsupported model" for a
    model row anonymous callers may not see, 404 for the first of `sources` they may not see;
    returns every source of the model they may not see. A model with no row (served by a
    worker, never imported) and its sources are open."""
    params = {"model_id": model_id, **visibility_params(None)}
    row = prepared.fetch_one("np_contract_access", _contract_access_query(), params)
    if row is None:
        return frozenset()
    model_hidden, hidden = row
    if model_hidden:
        raise ApiError(UNSUPPORTED_MODEL, status=400)
    for source in sources:
        if source and source in hidden:
            raise ApiError(f"Source not found: {source}", status=404)
    return frozenset(hidden)


@functools.cache
def _contract_access_query() -> str:
    return (
        f"SELECT NOT COALESCE({visible_sql('m')}, false), {hidden_sources_sql('m', among=None)} "
        f'FROM {table(Model)} m WHERE m."id" = %(model_id)s'
    )


def _contract_live(
    model_id: str, sources: Iterable[str | None]
) -> tuple[LiveModel, frozenset[str]]:
    hidden = check_contract_access(model_id, sources)
    live = find(model_id)
    if live is None:
        if Model.objects.filter(id=model_id).exists():
            return require(model_id), hidden
        raise ApiError(UNSUPPORTED_MODEL, status=400)
    visible = {k: v for k, v in live.sources.items() if k not in hidden}
    return replace(live, sources=visible), hidden
