"""Importer endpoints.

- `GET /api/admin/import?modelId=&sourceId=`: Neuronpedia's importer as server-sent events
  (`data: {progress, progressText}`, then `event: complete` or `event: error`). The import
  runs as a job on a worker; closing the stream does not stop it, and calling the URL again
  follows (or resumes) the same job.
- `GET /api/admin/import-config`: syncs the config tables now.
- `/api/admin/importer/...`: the JSON the admin panel (`/admin/importer/`) reads and posts.

All need an admin (API key or staff session); the two Neuronpedia URLs are also open on a
localhost instance, as in Neuronpedia (SITE_URL on localhost and the request from loopback).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bus.client import DEFAULT_QUEUE, require_worker
from bus.connections import celery_app
from bus.errors import WorkerError
from features.api.schemas import open_answer
from importer import exports, jobs, report, status, tree
from importer.locations import LocationError
from importer.models import ImportJob
from neuronpedia_site.auth import (
    API_KEY_HEADER,
    AdminRequired,
    ApiKeyAuthentication,
    SessionAuthentication,
)
from neuronpedia_site.errors import ApiError, error
from neuronpedia_site.event_stream import event_stream, sse_event
from neuronpedia_site.models import user_for_api_key
from neuronpedia_site.validation import json_object

SSE_POLL_SECONDS = 1.0
LOOPBACK = ("127.0.0.1", "::1")


def _require_worker() -> None:
    """Refuse before creating a job that no worker would ever pick up."""
    if not celery_app().conf.task_always_eager:
        require_worker(DEFAULT_QUEUE)


def _explanations(value: str | None) -> str:
    value = (value or "true").lower()
    if value not in exports.EXPLANATIONS_CHOICES:
        raise ApiError("explanations must be true, only or false.")
    return value


def _text(data: Mapping[str, Any], name: str) -> str:
    """An optional string field of a body or query ("" when absent), or a 400."""
    value = data.get(name) or ""
    if not isinstance(value, str):
        raise ApiError(f"{name} must be a string.")
    return value


def _int(value: Any, name: str) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError) as exc:
        raise ApiError(f"{name} must be an integer.") from exc


# --- Neuronpedia's URLs -------------------------------------------------------------------


def _may_import(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        key = request.headers.get(API_KEY_HEADER, "").strip()
        user = user_for_api_key(key) if key else None
    if user is not None and user.admin:
        return True
    site_host = urlsplit(settings.SITE_URL).hostname or ""
    local_site = site_host in ("localhost", *LOOPBACK)
    return local_site and request.META.get("REMOTE_ADDR") in LOOPBACK


def _follow(job: ImportJob) -> Iterator[bytes]:
    """Progress events every second until the job ends."""
    last = None
    while True:
        job.refresh_from_db()
        info = status.job_status(job)
        event = {"progress": info["progress"], "progressText": info["progressText"]}
        if event != last:
            yield sse_event(event)
            last = event
        if job.state == ImportJob.State.DONE:
            yield sse_event({}, "complete")
            return
        if job.state in (ImportJob.State.FAILED, ImportJob.State.CANCELLED):
            yield sse_event({"message": job.error or f"import {job.state}"}, "error")
            return
        if info["displayState"] == "interrupted":
            yield sse_event({"message": info["progressText"]}, "error")
            return
        time.sleep(SSE_POLL_SECONDS)


def import_source_sse(request: HttpRequest) -> HttpResponseBase:
    """Import one source from IMPORT_FROM, streaming progress as server-sent events."""
    if request.method != "GET":
        return error("Method not allowed.", status=405)
    model_id = request.GET.get("modelId", "").strip()
    source_id = request.GET.get("sourceId", "").strip()
    if not model_id or not source_id:
        return error("modelId and sourceId are required query parameters")
    if not _may_import(request):
        return error("This route is only available on localhost or to admin users", status=403)
    try:
        explanations = _explanations(request.GET.get("explanations"))
        batch_start = _int(request.GET.get("explanationBatchStart"), "explanationBatchStart")
        _require_worker()
    except ApiError as exc:
        return error(str(exc.detail), status=exc.status_code)
    except WorkerError as exc:
        return error(exc.message, status=exc.status)
    job, run = jobs.prepare_import(
        model_id,
        source_id,
        explanations=explanations,
        explanation_batch_start=batch_start,
        user=getattr(request, "user", None),
    )
    if run:
        jobs.enqueue(job)
    return event_stream(_follow(job))


def import_config(request: HttpRequest) -> HttpResponse:
    """Sync the config tables (explanation/score/eval types) from IMPORT_FROM, now."""
    if request.method != "GET":
        return error("Method not allowed.", status=405)
    if not _may_import(request):
        return error("This route is only available on localhost or to admin users", status=403)
    job = jobs.run_job(jobs.prepare_config_sync(user=getattr(request, "user", None)).pk)
    if job.state != ImportJob.State.DONE:
        return error(job.error or "config sync failed", status=502)
    counts = {table: t["expected"] for table, t in (job.report or {})["tables"].items()}
    return HttpResponse(
        json.dumps({"message": "Config synced.", "jobId": job.pk, "rows": counts}),
        content_type="application/json",
    )


# --- the admin panel's JSON ---------------------------------------------------------------


def _admin_answer(answer: str) -> Any:
    """The panel's JSON endpoints in the OpenAPI schema: a JSON object described in prose."""
    return open_answer("admin", OpenApiTypes.OBJECT, answer, 400, 401, 403, 404)


class AdminApi(APIView):
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [AdminRequired]

    def location(self, data: Mapping[str, Any]) -> tuple[str, str]:
        return (_text(data, "from") or settings.IMPORT_FROM).strip(), _text(data, "endpointUrl")


@_admin_answer(
    "`{models}` at the location; with modelId, its sets and sources with x of y imported."
)
class TreeView(AdminApi):
    """Models at the location; with `modelId`, that model's source sets and sources."""

    def get(self, request: Request) -> Response:
        location, endpoint = self.location(request.query_params)
        refresh = request.query_params.get("refresh") == "1"
        model_id = request.query_params.get("modelId", "")
        try:
            if model_id:
                return Response(tree.model_tree(location, model_id, endpoint, refresh))
            models = tree.list_models(location, endpoint, refresh)
        except LocationError as exc:
            raise ApiError(str(exc), status=502) from exc
        return Response({"location": location, "models": models})


@_admin_answer("The recent import jobs with progress, rows/s and ETA.")
class StatusView(AdminApi):
    """Active and recent jobs with progress, rows/s and ETA (the panel polls it every second)."""

    def get(self, request: Request) -> Response:
        return Response(status.overview())


@_admin_answer("The new (or resumed) import job of one source.")
class StartView(AdminApi):
    """Import (or resume, or with `resync` re-sync) one source."""

    def post(self, request: Request) -> Response:
        data = json_object(request.data)
        model_id = str(data.get("modelId", "")).strip()
        source_id = str(data.get("sourceId", "")).strip()
        if not model_id or not source_id:
            raise ApiError("modelId and sourceId are required.")
        location, endpoint = self.location(data)
        _require_worker()
        job, run = jobs.prepare_import(
            model_id,
            source_id,
            location=location,
            endpoint_url=endpoint,
            explanations=_explanations(data.get("explanations")),
            explanation_batch_start=_int(data.get("explanationBatchStart"), "batch start"),
            resync=bool(data.get("resync")),
            user=request.user,
        )
        if run:
            jobs.enqueue(job)
            job.refresh_from_db()
        return Response(status.job_status(job), status=202 if run else 200)


@_admin_answer("The import jobs started for every source of a set.")
class StartSetView(AdminApi):
    """Import every source of a source set that is not imported yet."""

    def post(self, request: Request) -> Response:
        data = json_object(request.data)
        model_id = str(data.get("modelId", "")).strip()
        set_name = str(data.get("setName", "")).strip()
        if not model_id or not set_name:
            raise ApiError("modelId and setName are required.")
        location, endpoint = self.location(data)
        try:
            entries = tree.list_sources(location, model_id, endpoint)
        except LocationError as exc:
            raise ApiError(str(exc), status=502) from exc
        members = [e for e in entries if e.set_name == set_name]
        if not members:
            raise ApiError(f"No source set {set_name} under {model_id}.", status=404)
        _require_worker()
        started = []
        for entry in members:
            job, run = jobs.prepare_import(
                model_id, entry.source_id, location=location, endpoint_url=endpoint,
                user=request.user,
            )  # fmt: skip
            if run:
                jobs.enqueue(job)
                started.append(job.pk)
        return Response({"started": started}, status=202 if started else 200)


@_admin_answer("One job: state, files, rows and its completeness report.")
class JobView(AdminApi):
    """One job: status, files and its completeness report (`?verify=1` also lists files
    that appeared in the location since the job was planned)."""

    def get(self, request: Request, job_id: int) -> Response:
        job = get_object_or_404(ImportJob, pk=job_id)
        data = status.job_status(job)
        reader = None
        if request.query_params.get("verify") == "1":
            try:
                reader = tree.reader_for(job.location, job.endpoint_url)
            except LocationError as exc:
                raise ApiError(str(exc), status=502) from exc
        data["report"] = report.completeness(job, reader)
        data["files"] = [f.to_dict() for f in job.files.all()]
        return Response(data)


@_admin_answer("The cancelled job.")
class CancelView(AdminApi):
    def post(self, request: Request, job_id: int) -> Response:
        job = jobs.cancel(get_object_or_404(ImportJob, pk=job_id))
        return Response(status.job_status(job))


@_admin_answer("Counts of config rows upserted by name.")
class ConfigSyncView(AdminApi):
    """Sync the config tables (as a job on a worker)."""

    def post(self, request: Request) -> Response:
        location, endpoint = self.location(json_object(request.data))
        _require_worker()
        job = jobs.prepare_config_sync(location, endpoint, user=request.user)
        jobs.enqueue(job)
        job.refresh_from_db()
        return Response(status.job_status(job), status=202)
