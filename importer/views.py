"""Importer endpoints.

- `POST /api/admin/import?modelId=&sourceId=`: Neuronpedia's importer as server-sent events
  (`data: {progress, progressText}`, then `event: complete` or `event: error`). The import
  runs as a job on a worker; closing the stream does not stop it, and posting again follows (or
  resumes) the same job. `GET` with the same parameters only follows the latest job.
- `POST /api/admin/import-config`: syncs the config tables now.
- `/api/admin/importer/...`: the JSON the admin panel (`/admin/importer/`) reads and posts.

All need an admin: an admin API key, or a staff session with its CSRF token. Neuronpedia also
opens its two URLs to anyone on a localhost instance and takes GETs; here they do not, so a web
page open in the operator's browser cannot start imports (docs/differences.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.conf import settings
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from bus.client import DEFAULT_QUEUE, require_worker
from features.api.schemas import open_answer
from importer import jobs, report, status, tree
from importer import serializers as shapes
from importer.locations import LocationError, LocationForbidden, check_allowed_root
from importer.models import ImportJob
from neuronpedia_site.auth import (
    AdminRequired,
    ApiKeyAuthentication,
    SessionAuthentication,
)
from neuronpedia_site.errors import ApiError
from neuronpedia_site.event_stream import JsonWhateverIsAccepted, event_stream, sse_event
from neuronpedia_site.parsers import JSONParser
from neuronpedia_site.validation import validated

SSE_POLL_SECONDS = 1.0


def _require_worker() -> None:
    """Refuse before creating a job that no worker would ever pick up."""
    require_worker(DEFAULT_QUEUE)


# --- Neuronpedia's URLs -------------------------------------------------------------------


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


def _import_query(request: Request) -> dict[str, Any]:
    query: dict[str, Any] = validated(shapes.ImportQuery, request.query_params.dict())
    query["modelId"] = query.get("modelId", "").strip()
    query["sourceId"] = query.get("sourceId", "").strip()
    if not query["modelId"] or not query["sourceId"]:
        raise ApiError("modelId and sourceId are required query parameters")
    return query


def _unreadable(exc: LocationError) -> ApiError:
    """A location that failed on the network is the far side's error (502); one that does not
    exist or cannot be read at all is the caller's (400)."""
    return ApiError(str(exc), status=502 if exc.transient else 400)


def _location(data: Mapping[str, Any]) -> tuple[str, str]:
    """`from` (IMPORT_FROM when empty) and `endpointUrl` of a validated `shapes.Location`. A
    local directory other than IMPORT_FROM must lie under IMPORT_LOCAL_ROOTS: a 403 otherwise."""
    location = (data["from"] or settings.IMPORT_FROM).strip()
    if location != settings.IMPORT_FROM.strip():
        try:
            check_allowed_root(location, settings.IMPORT_LOCAL_ROOTS)
        except LocationForbidden as exc:
            raise ApiError(str(exc), status=403) from exc
    return location, data["endpointUrl"]


def _admin_answer(
    answer: str, request: Any = None, query: type[Serializer] | None = None
) -> Callable[[Any], Any]:
    """The importer's endpoints in the OpenAPI schema: the request body (`request`) or query
    string (`query`) it reads, and a JSON object described in prose."""

    def decorate(view: Any) -> Any:
        view = open_answer("admin", request, answer, 400, 401, 403, 404)(view)
        return extend_schema(parameters=[query] if query else None)(view)

    return decorate


class AdminApi(APIView):
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [AdminRequired]


@_admin_answer(
    "Server-sent events: `{progress, progressText}`, then `complete` or `error`.",
    query=shapes.ImportQuery,
)
class ImportSourceView(AdminApi):
    """Neuronpedia's importer: `POST ?modelId=&sourceId=` imports (or resumes) one source from
    IMPORT_FROM and streams its progress as server-sent events; `GET` with the same parameters
    only follows that source's latest import. Closing the stream does not stop the job."""

    content_negotiation_class = JsonWhateverIsAccepted

    def post(self, request: Request) -> HttpResponseBase:
        query = _import_query(request)
        _require_worker()
        job, run = jobs.prepare_import(
            query["modelId"],
            query["sourceId"],
            explanations=query["explanations"],
            explanation_batch_start=query["explanationBatchStart"],
            user=request.user,
        )
        if run:
            jobs.enqueue(job)
        return event_stream(_follow(job))

    def get(self, request: Request) -> HttpResponseBase:
        query = _import_query(request)
        model_id, source_id = query["modelId"], query["sourceId"]
        job = (
            ImportJob.objects.filter(
                kind=ImportJob.Kind.SOURCE, model_id=model_id, source_id=source_id
            )
            .order_by("-id")
            .first()
        )
        if job is None:
            raise ApiError(
                f"No import of {model_id}/{source_id} yet: POST to this URL starts one.",
                status=404,
            )
        return event_stream(_follow(job))


@_admin_answer("`{message, jobId, rows}`: the config rows upserted by name.", shapes.NoFields)
class ImportConfigView(AdminApi):
    """Neuronpedia's `import-config`: sync the config tables (explanation, score and eval types)
    from IMPORT_FROM now, in this request."""

    # It reads no field, so a client may post nothing, JSON or an empty form (as Django's test
    # client and HTML forms do); a JSON body must still be an object.
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def post(self, request: Request) -> Response:
        validated(shapes.NoFields, request.data)
        job = jobs.run_job(jobs.prepare_config_sync(user=request.user).pk)
        if job.state != ImportJob.State.DONE:
            raise ApiError(job.error or "config sync failed", status=502)
        counts = {table: t["expected"] for table, t in (job.report or {})["tables"].items()}
        return Response({"message": "Config synced.", "jobId": job.pk, "rows": counts})


# --- the admin panel's JSON ---------------------------------------------------------------


@_admin_answer(
    "`{models}` at the location; with modelId, its sets and sources with x of y imported.",
    shapes.TreeQuery,
)
class TreeView(AdminApi):
    """Models at the location; with `modelId`, that model's source sets and sources.

    A POST (with the session's CSRF token), although it changes nothing: it makes the server
    read a directory or fetch a URL, which a page on another site must not be able to start
    in a staff member's browser."""

    def post(self, request: Request) -> Response:
        query = validated(shapes.TreeQuery, request.data)
        location, endpoint = _location(query)
        refresh = query["refresh"]
        model_id = query["modelId"]
        try:
            if model_id:
                return Response(tree.model_tree(location, model_id, endpoint, refresh))
            models = tree.list_models(location, endpoint, refresh)
        except LocationError as exc:
            raise _unreadable(exc) from exc
        return Response({"location": location, "models": models})


@_admin_answer("The recent import jobs with progress, rows/s and ETA.")
class StatusView(AdminApi):
    """Active and recent jobs with progress, rows/s and ETA (the panel polls it every second)."""

    def get(self, request: Request) -> Response:
        return Response(status.overview())


@_admin_answer("The new (or resumed) import job of one source.", shapes.StartImport)
class StartView(AdminApi):
    """Import (or resume, or with `resync` re-sync) one source."""

    def post(self, request: Request) -> Response:
        data = validated(shapes.StartImport, request.data)
        location, endpoint = _location(data)
        _require_worker()
        job, run = jobs.prepare_import(
            data["modelId"].strip(),
            data["sourceId"].strip(),
            location=location,
            endpoint_url=endpoint,
            explanations=data["explanations"],
            explanation_batch_start=data["explanationBatchStart"],
            resync=data["resync"],
            user=request.user,
        )
        if run:
            jobs.enqueue(job)
            job.refresh_from_db()
        return Response(status.job_status(job), status=202 if run else 200)


@_admin_answer("The import jobs started for every source of a set.", shapes.StartSet)
class StartSetView(AdminApi):
    """Import every source of a source set that is not imported yet."""

    def post(self, request: Request) -> Response:
        data = validated(shapes.StartSet, request.data)
        model_id, set_name = data["modelId"].strip(), data["setName"].strip()
        location, endpoint = _location(data)
        try:
            entries = tree.list_sources(location, model_id, endpoint)
        except LocationError as exc:
            raise _unreadable(exc) from exc
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
                reader = tree.reader_for(job.location, job.endpoint_url, job.no_sign_request)
            except LocationError as exc:
                raise _unreadable(exc) from exc
        data["report"] = report.completeness(job, reader)
        data["files"] = [f.to_dict() for f in job.files.all()]
        return Response(data)


@_admin_answer("The cancelled job.")
class CancelView(AdminApi):
    def post(self, request: Request, job_id: int) -> Response:
        job = jobs.cancel(get_object_or_404(ImportJob, pk=job_id))
        return Response(status.job_status(job))


@_admin_answer("Counts of config rows upserted by name.", shapes.Location)
class ConfigSyncView(AdminApi):
    """Sync the config tables (as a job on a worker)."""

    def post(self, request: Request) -> Response:
        location, endpoint = _location(validated(shapes.Location, request.data))
        _require_worker()
        job = jobs.prepare_config_sync(location, endpoint, user=request.user)
        jobs.enqueue(job)
        job.refresh_from_db()
        return Response(status.job_status(job), status=202)
