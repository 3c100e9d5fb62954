"""Which live inference worker serves a model and which sources, and calling it (web side).

Neuronpedia routes a request to an inference host listed for the source (`InferenceHostSource`).
Here workers announce themselves in Redis (`workers.registry`) with their model and the sources
they serve, so this module routes a request to the model's queue, answers 404 for a source no
worker serves, and 503 (naming the queue) when no worker runs at all. No torch here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from features import prepared
from features.access import hidden_sources_sql, visibility_params, visible_model_sql
from features.catalog import layer_number, source_set_name
from features.models import Model
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User
from workers import client, registry, wire

MODEL_NOT_FOUND = "Model not found"
UNSUPPORTED_MODEL = "Unsupported model"  # the inference server's answer for another model


@dataclass(frozen=True)
class LiveModel:
    """A model as its live workers serve it."""

    requested_id: str  # the id the request used (the model id or its override)
    queue: str
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # served by every worker
    token_limit: int | None = None

    def require_source(self, source: str) -> dict[str, Any]:
        """The source's `{source, source_set, hook_name, d_sae}`, or 404."""
        info = self.sources.get(source)
        if info is None:
            raise ApiError(f"Source not found: {source}", status=404)
        return info

    def set_members(self, source_set: str) -> list[str]:
        """Source ids of `source_set` by layer (none when no worker serves any of them)."""
        found = [s for s in self.sources if source_set_name(s) == source_set]
        return sorted(found, key=lambda s: (layer_number(s), s))

    def sources_in_set(self, source_set: str) -> list[str]:
        """Source ids of `source_set` by layer, or 404 when no worker serves any of them."""
        found = self.set_members(source_set)
        if not found:
            raise ApiError(f"Source set not found: {source_set}", status=404)
        return found

    def call(self, task: str, **kwargs: Any) -> Any:
        """Run `workers.tasks.<task>` on this model's queue and wait for its answer."""
        return client.call(
            task, {"model": self.requested_id, **kwargs}, queue=self.queue, checked=True
        )

    def search(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Search-all results (`workers.tasks.activations_all`) for `SearchRequest` dicts, each
        activation's `values` unpacked to floats."""
        return wire.unpack_search(self.call("activations_all", requests=requests)["results"])


def find(model_id: str) -> LiveModel | None:
    """The live workers serving `model_id` (by its id or override id), or None.

    Workers of one queue are replicas: a source counts as served only when every live worker of
    the queue serves it, so a task never lands on a worker that lacks its source.
    """
    workers = [
        w
        for w in registry.live_workers()
        if w.get("model_id") and model_id in (w.get("model_ids") or [w["model_id"]])
    ]
    if not workers:
        return None
    queue = client.inference_queue(str(workers[0]["model_id"]))
    replicas = [w for w in workers if queue in w["queues"]]
    common: dict[str, dict[str, Any]] | None = None
    for worker in replicas:
        served = {s["source"]: s for s in worker["sources"]}
        common = served if common is None else {k: v for k, v in common.items() if k in served}
    limits = [w["token_limit"] for w in replicas if w.get("token_limit")]
    return LiveModel(model_id, queue, common or {}, min(limits) if limits else None)


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
