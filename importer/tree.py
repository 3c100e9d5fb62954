"""The bucket tree the panel and `list_exports` show: models, then source sets, then sources
sorted by layer, each with what is already imported ("x of y imported" per set).

Listings are cached for a short while: the panel asks again after every action, and the
public bucket has hundreds of models.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache

from features.models import Source
from importer import exports, jobs
from importer.locations import ExportReader, open_location, options_from_settings
from importer.models import ImportJob

LISTING_TTL = 30
IMPORTED = "imported"
NOT_IMPORTED = "new"


def reader_for(
    location: str, endpoint_url: str = "", no_sign_request: bool = False
) -> ExportReader:
    return open_location(location, options_from_settings(endpoint_url, no_sign_request))


def _cached(key: str, compute: Any, refresh: bool) -> Any:
    key = "importer:list:" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()
    if not refresh:
        hit = cache.get(key)
        if hit is not None:
            return hit
    value = compute()
    cache.set(key, value, LISTING_TTL)
    return value


def list_models(
    location: str, endpoint_url: str = "", refresh: bool = False, no_sign_request: bool = False
) -> list[str]:
    def compute() -> list[str]:
        reader = reader_for(location, endpoint_url, no_sign_request)
        return exports.list_models(reader, exports.dataset_root(reader))

    return _cached(f"models|{location}|{endpoint_url}|{no_sign_request}", compute, refresh)


def list_sources(
    location: str,
    model_id: str,
    endpoint_url: str = "",
    refresh: bool = False,
    no_sign_request: bool = False,
) -> list[exports.SourceEntry]:
    def compute() -> list[tuple[str, str, int]]:
        reader = reader_for(location, endpoint_url, no_sign_request)
        entries = exports.list_sources(reader, exports.dataset_root(reader), model_id)
        return [(e.source_id, e.set_name, e.layer) for e in entries]

    key = f"sources|{location}|{endpoint_url}|{no_sign_request}|{model_id}"
    rows = _cached(key, compute, refresh)
    return [exports.SourceEntry(*row) for row in rows]


def source_states(model_id: str, source_ids: list[str]) -> dict[str, dict[str, Any]]:
    """For each source: its state (new, imported, queued, running, interrupted, failed,
    cancelled), its latest job id, if any, and `lastAttempt`, the latest job's state when that
    differs.

    The state follows the data, not only the latest job: a source that an import completed
    once stays "imported" after a later attempt (a re-sync, a retry from an unreachable
    bucket) failed or was cancelled, since such attempts never remove rows."""
    latest: dict[str, ImportJob] = {}
    completed: set[str] = set()
    for found in ImportJob.objects.filter(
        kind=ImportJob.Kind.SOURCE, model_id=model_id, source_id__in=source_ids
    ).order_by("id"):
        latest[found.source_id] = found
        if found.state == ImportJob.State.DONE:
            completed.add(found.source_id)
    in_db = set(
        Source.objects.filter(model_id=model_id, source_id__in=source_ids).values_list(
            "source_id", flat=True
        )
    )
    alive = jobs.alive_jobs([j.pk for j in latest.values() if j.state == ImportJob.State.RUNNING])
    states: dict[str, dict[str, Any]] = {}
    for source_id in source_ids:
        job = latest.get(source_id)
        if job is None:
            state = IMPORTED if source_id in in_db else NOT_IMPORTED
        elif job.state == ImportJob.State.DONE:
            state = IMPORTED
        elif job.state == ImportJob.State.RUNNING and job.pk not in alive:
            state = "interrupted"
        else:
            state = job.state
        entry: dict[str, Any] = {"state": state, "jobId": job.pk if job else None}
        if source_id in completed and state not in (IMPORTED, *ImportJob.ACTIVE_STATES):
            entry.update(state=IMPORTED, lastAttempt=state)
        states[source_id] = entry
    return states


def model_tree(
    location: str,
    model_id: str,
    endpoint_url: str = "",
    refresh: bool = False,
    no_sign_request: bool = False,
) -> dict[str, Any]:
    entries = list_sources(location, model_id, endpoint_url, refresh, no_sign_request)
    states = source_states(model_id, [e.source_id for e in entries])
    sets = []
    for set_name, members in exports.group_by_set(entries).items():
        sources = [{"id": e.source_id, "layer": e.layer, **states[e.source_id]} for e in members]
        sets.append(
            {
                "name": set_name,
                "total": len(sources),
                "imported": sum(s["state"] == IMPORTED for s in sources),
                "sources": sources,
            }
        )
    return {"modelId": model_id, "sets": sets}
