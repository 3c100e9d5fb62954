"""Which live workers serve a model, read from the registry: the one router of the site.

Neuronpedia routes a request to an inference host listed for the source (`InferenceHostSource`).
Here workers announce themselves in Redis (`bus.registry`) with their model, the ids requests may
use for it (the model id and an override id) and the sources they serve; a model's requests go to
its queue, `inference.<modelId>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bus import client, registry, wire
from bus.errors import WorkerError
from bus.task_names import ACTIVATIONS_ALL
from neuronpedia_format.sources import layer_of, source_set_of


@dataclass(frozen=True)
class LiveModel:
    """A model as its live workers serve it."""

    requested_id: str  # the id the request used (the model id or its override)
    queue: str
    timeout: float  # seconds a call waits for the worker's answer
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # served by every worker
    token_limit: int | None = None
    graph_source_set: str | None = None  # the transcoder set its workers trace graphs with

    def require_source(self, source: str) -> dict[str, Any]:
        """The source's `{source, source_set, hook_name, d_sae}`, or 404."""
        info = self.sources.get(source)
        if info is None:
            raise WorkerError(f"Source not found: {source}", status=404)
        return info

    def set_members(self, source_set: str) -> list[str]:
        """Source ids of `source_set` by layer (none when no worker serves any of them)."""
        found = [s for s in self.sources if source_set_of(s) == source_set]
        return sorted(found, key=lambda s: (layer_of(s), s))

    def sources_in_set(self, source_set: str) -> list[str]:
        """Source ids of `source_set` by layer, or 404 when no worker serves any of them."""
        found = self.set_members(source_set)
        if not found:
            raise WorkerError(f"Source set not found: {source_set}", status=404)
        return found

    def call(self, task: str, **kwargs: Any) -> Any:
        """Run the task named `task` (`bus.task_names`) on this model's queue and wait."""
        return client.call(
            task,
            {"model": self.requested_id, **kwargs},
            queue=self.queue,
            timeout=self.timeout,
            checked=True,
        )

    def search(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Search-all results (`ACTIVATIONS_ALL`) for `SearchRequest` dicts, each activation's
        `values` unpacked to floats."""
        return wire.unpack_search(self.call(ACTIVATIONS_ALL, requests=requests)["results"])


def _serves(worker: registry.WorkerInfo, model_id: str) -> bool:
    own_id = worker.get("model_id")
    return own_id is not None and model_id in (worker.get("model_ids") or [own_id])


def find(model_id: str, timeout: float) -> LiveModel | None:
    """The live workers serving `model_id` (by its id or override id), or None.

    Workers of one queue are replicas: a source counts as served only when every live worker of
    the queue serves it, so a task never lands on a worker that lacks its source.
    """
    workers = [w for w in registry.live_workers() if _serves(w, model_id)]
    if not workers:
        return None
    queue = client.inference_queue(str(workers[0]["model_id"]))
    replicas = [w for w in workers if queue in w["queues"]]
    common: dict[str, dict[str, Any]] | None = None
    for worker in replicas:
        served = {s["source"]: s for s in worker["sources"]}
        common = served if common is None else {k: v for k, v in common.items() if k in served}
    limits = [w["token_limit"] for w in replicas if w.get("token_limit")]
    graph_sets = {w.get("graph_source_set") for w in replicas}
    return LiveModel(
        model_id,
        queue,
        timeout,
        common or {},
        min(limits) if limits else None,
        # as sources: a set counts only when every replica traces with it
        graph_sets.pop() if len(graph_sets) == 1 else None,
    )


def queue_for(model_id: str) -> str:
    """The queue of the workers serving `model_id` (under its own id or as an override id);
    `inference.<model_id>` when none is alive, so the 503 names the queue to start."""
    for worker in registry.live_workers():
        if _serves(worker, model_id):
            return client.inference_queue(str(worker["model_id"]))
    return client.inference_queue(model_id)
