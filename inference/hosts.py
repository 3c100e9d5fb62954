"""The live model behind an inference request, as the user may see it: the workers serving it
(`bus.routing`), 404 for a model or source hidden from the user, 503 (naming the queue) when no
worker runs at all, and the /v1 contract's "Unsupported model"."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.conf import settings

from bus import client, routing
from bus.routing import LiveModel
from features.access import hidden_sources_sql, visibility_params, visible_model_sql
from features.models import Model
from features.sql import prepared
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


def require_for_contract(model_id: str) -> LiveModel:
    """Routing for the /v1 inference contract: 400 "Unsupported model" for a model nobody
    knows (as Neuronpedia's inference server), 503 when the model exists but has no worker."""
    live = find(model_id)
    if live is not None:
        return live
    if Model.objects.filter(id=model_id).exists():
        return require(model_id)
    raise ApiError(UNSUPPORTED_MODEL, status=400)
