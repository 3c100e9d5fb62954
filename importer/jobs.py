"""Import jobs: start or resume one, run it file by file with checkpoints, cancel it.

The Celery task (`importer.tasks.import_job`) and `manage.py import_source` both call
`run_job`. While a job runs, its worker holds a PostgreSQL advisory lock keyed by the job id;
the lock goes away with the worker's connection, so "running but nobody holds the lock"
means the worker died (the panel shows it as interrupted) and running the job again resumes
it at the first file that is not done.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from features import embedding_jobs
from importer import exports, report
from importer.loader import Catalog, FileError, FormatPool, can_skip_triggers, load_file
from importer.locations import ExportReader, LocationError, open_location, options_from_settings
from importer.models import ImportFile, ImportJob
from neuronpedia_format.layout import BULK_TABLES
from neuronpedia_site.models import User

log = logging.getLogger(__name__)

LOCK_CLASS = 0x494D  # first key of the advisory locks of running jobs ("IM")
PROGRESS_SECONDS = 0.5  # how often a running job publishes progress and checks for cancel
LIVE_TTL = 24 * 3600


class Cancelled(Exception):
    """The job was cancelled; the file being loaded is rolled back."""


@dataclass
class Progress:
    """What a running job reports, for the command's progress bar."""

    path: str
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    rows_done: int
    rows_per_second: float


ProgressCallback = Callable[[Progress], None]


# --- starting, resuming, cancelling -------------------------------------------------------


def prepare_import(
    model_id: str,
    source_id: str,
    location: str = "",
    endpoint_url: str = "",
    no_sign_request: bool = False,
    explanations: str = "true",
    explanation_batch_start: int = 0,
    resync: bool = False,
    user: User | AnonymousUser | None = None,
) -> tuple[ImportJob, bool]:
    """The job that imports this source, and whether it needs running.

    - a queued or running job of the source is returned as it is (never two at once);
    - a failed, cancelled or interrupted job from the same location is resumed;
    - a finished one is returned as done, unless `resync` asks for a new pass over every
      file (which adds what is missing and never duplicates a row).
    """
    if explanations not in exports.EXPLANATIONS_CHOICES:
        raise ValueError(f"explanations must be one of {', '.join(exports.EXPLANATIONS_CHOICES)}")
    location = location or settings.IMPORT_FROM
    latest = ImportJob.objects.filter(
        kind=ImportJob.Kind.SOURCE, model_id=model_id, source_id=source_id
    ).first()
    if latest is not None:
        if latest.state == ImportJob.State.RUNNING and job_alive(latest.pk):
            return latest, False
        if latest.state in ImportJob.ACTIVE_STATES:
            return _resume(latest), True
        if not resync and latest.location == location and latest.endpoint_url == endpoint_url:
            if latest.state == ImportJob.State.DONE:
                return latest, False
            if latest.no_sign_request != no_sign_request:  # how to read it, not what
                latest.no_sign_request = no_sign_request
                latest.save(update_fields=["no_sign_request", "updated_at"])
            return _resume(latest), True
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.SOURCE,
        location=location,
        endpoint_url=endpoint_url,
        no_sign_request=no_sign_request,
        model_id=model_id,
        source_id=source_id,
        explanations=explanations,
        explanation_batch_start=explanation_batch_start,
        resync=resync or latest is not None,
        created_by=_created_by(user),
    )
    return job, True


def prepare_config_sync(
    location: str = "",
    endpoint_url: str = "",
    user: User | AnonymousUser | None = None,
    no_sign_request: bool = False,
) -> ImportJob:
    return ImportJob.objects.create(
        kind=ImportJob.Kind.CONFIG,
        location=location or settings.IMPORT_FROM,
        endpoint_url=endpoint_url,
        no_sign_request=no_sign_request,
        created_by=_created_by(user),
    )


def _created_by(user: User | AnonymousUser | None) -> User | None:
    """Who started a job: None for anonymous callers and the command line."""
    return user if isinstance(user, User) and user.pk else None


def _resume(job: ImportJob) -> ImportJob:
    with transaction.atomic():
        job.files.filter(state=ImportFile.State.FAILED).update(
            state=ImportFile.State.PENDING, error=""
        )
        job.state = ImportJob.State.QUEUED
        job.cancel_requested = False
        job.error = ""
        job.finished_at = None
        job.save(update_fields=["state", "cancel_requested", "error", "finished_at", "updated_at"])
    cache.delete(_cancel_key(job.pk))
    return job


def enqueue(job: ImportJob) -> ImportJob:
    """Send the job to a worker (the default queue)."""
    from importer.tasks import import_job

    result = import_job.apply_async(args=(job.pk,), queue="default")
    ImportJob.objects.filter(pk=job.pk).update(task_id=result.id or "")  # the latest, to revoke
    job.refresh_from_db()
    return job


def cancel(job: ImportJob) -> ImportJob:
    """Ask the job to stop: a running one stops within a second, rolling back its file."""
    cache.set(_cancel_key(job.pk), 1, LIVE_TTL)
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    job.refresh_from_db()
    if job.state in ImportJob.ACTIVE_STATES and not job_alive(job.pk):
        # Nobody is running it (queued, or its worker died): it is cancelled now.
        if job.task_id:
            from neuronpedia_site.celery import app

            app.control.revoke(job.task_id)
        _finish(job, ImportJob.State.CANCELLED)
    return job


def job_alive(job_id: int) -> bool:
    return job_id in alive_jobs([job_id])


def alive_jobs(job_ids: list[int]) -> set[int]:
    """Jobs whose advisory lock is held right now, i.e. that a live process is running."""
    if not job_ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s AND objsubid = 2 AND objid = ANY(%s) "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [LOCK_CLASS, list(job_ids)],
        )
        return {int(row[0]) for row in cursor.fetchall()}


# --- running ------------------------------------------------------------------------------


def run_job(job_id: int, on_progress: ProgressCallback | None = None) -> ImportJob:
    """Run (or resume) a job to its end: done, failed (error names the file) or cancelled.

    1. Take the job's lock; if another process holds it, leave the job to that process.
    2. Plan the files once (list the location), as ImportFile rows in load order.
    3. Load each file that is not done, each in one transaction with its checkpoint.
    4. ANALYZE the tables it loaded.
    5. Record the completeness report.
    """
    with _job_lock(job_id) as acquired:
        job = ImportJob.objects.get(pk=job_id)
        if not acquired:
            log.info("import job %s is running elsewhere", job_id)
            return job
        if job.state in (ImportJob.State.DONE, ImportJob.State.CANCELLED):
            return job
        if job.cancel_requested:
            return _finish(job, ImportJob.State.CANCELLED)
        job.state = ImportJob.State.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or timezone.now()
        job.error = ""
        job.save(update_fields=["state", "attempts", "started_at", "error", "updated_at"])
        try:
            options = options_from_settings(job.endpoint_url, job.no_sign_request)
            reader = open_location(job.location, options)
            if not job.files.exists():
                _plan(job, reader)
            _load_files(job, reader, on_progress)
            analyze_tables(job)
        except Cancelled:
            return _finish(job, ImportJob.State.CANCELLED)
        except (FileError, LocationError, ValueError) as exc:
            return _finish(job, ImportJob.State.FAILED, str(exc))
        except Exception as exc:
            log.exception("import job %s failed", job_id)
            return _finish(job, ImportJob.State.FAILED, f"internal error: {exc!r}")
        job.refresh_from_db()
        job.report = report.completeness(job)
        if job.kind == ImportJob.Kind.SOURCE and job.explanations != "false":
            embedding_jobs.kick()  # the new explanations' local embeddings (docs/search.md)
        return _finish(job, ImportJob.State.DONE)


@contextmanager
def _job_lock(job_id: int) -> Iterator[bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, job_id])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, job_id])


def _finish(job: ImportJob, state: str, error: str = "") -> ImportJob:
    job.state = state
    job.error = error
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "error", "finished_at", "report", "updated_at"])
    cache.delete(_live_key(job.pk))
    log.info("import job %s %s%s", job.pk, state, f": {error}" if error else "")
    return job


def _plan(job: ImportJob, reader: ExportReader) -> None:
    root = exports.dataset_root(reader)
    if job.kind == ImportJob.Kind.CONFIG:
        planned = exports.plan_config(reader, root)
        if not planned:
            raise LocationError(f"{reader.location}: no config/*.jsonl files.")
    else:
        planned = exports.plan_source(
            reader,
            root,
            job.model_id,
            job.source_id,
            job.explanations,
            job.explanation_batch_start,
        )
    with transaction.atomic():
        ImportFile.objects.bulk_create(
            ImportFile(job=job, order=i, path=p.path, table=p.table, size=p.size, etag=p.etag)
            for i, p in enumerate(planned)
        )
        job.files_total = len(planned)
        job.bytes_total = sum(p.size for p in planned)
        job.save(update_fields=["files_total", "bytes_total", "updated_at"])


def analyze_tables(job: ImportJob) -> None:
    """ANALYZE the tables the job loaded.

    COPY leaves a table's planner statistics as they were (none, for a new instance), and
    autovacuum gets to it only after its next nap. Until then the planner guesses: planned
    without statistics, the feature join of search via inference took 6.9 ms instead of 1.0 ms
    on a freshly loaded table. ANALYZE reads a sample (30,000 rows at the default target), so
    it costs the job seconds at most."""
    tables = sorted(set(job.files.values_list("table", flat=True)))
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def _load_files(job: ImportJob, reader: ExportReader, on_progress: ProgressCallback | None) -> None:
    catalog = Catalog()
    fast = settings.IMPORT_FAST_CONSTRAINTS and can_skip_triggers()
    live = _Live(job, on_progress)
    pools = _Pools()
    pending = job.files.exclude(state=ImportFile.State.DONE).order_by("order")
    try:
        for file in pending:
            _load_with_retries(job, reader, file, catalog, live, fast, pools)
    finally:
        pools.close()


def _load_with_retries(
    job: ImportJob,
    reader: ExportReader,
    file: ImportFile,
    catalog: Catalog,
    live: _Live,
    fast: bool,
    pools: _Pools,
) -> None:
    """Load one file, trying again after network errors; a failure marks it failed."""
    if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
        raise Cancelled()
    live.start_file(file)
    attempt = 0
    while True:
        try:
            _load_one(job, reader, file, catalog, live, fast, pools.for_file(file))
            break
        except FileError as exc:
            attempt += 1
            if not exc.transient or attempt > settings.IMPORT_FILE_RETRIES:
                ImportFile.objects.filter(pk=file.pk).update(
                    state=ImportFile.State.FAILED, error=exc.message
                )
                raise
            log.warning("import job %s: %s; trying again", job.pk, exc)
            time.sleep(min(2**attempt, 30))
    live.file_done(file)


def _load_one(
    job: ImportJob,
    reader: ExportReader,
    file: ImportFile,
    catalog: Catalog,
    live: _Live,
    fast: bool,
    pool: FormatPool | None,
) -> None:
    """One file and its checkpoint, in one transaction: both or neither are committed."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Not waiting for the WAL flush at commit is safe here: a crash can only lose
            # a file together with its checkpoint, and the job loads that file again.
            cursor.execute("SET LOCAL synchronous_commit = off")
        result = load_file(
            lambda: reader.open(file.path),
            file.path,
            file.table,
            catalog,
            tick=live.tick,
            fast_constraints=fast,
            pool=pool,
        )
        file.state = ImportFile.State.DONE
        file.rows = result.rows
        file.inserted = result.inserted
        file.seconds = result.seconds
        file.error = ""
        file.finished_at = timezone.now()
        file.save()
        ImportJob.objects.filter(pk=job.pk).update(
            files_done=F("files_done") + 1,
            bytes_done=F("bytes_done") + file.size,
            rows_done=F("rows_done") + result.rows,
            rows_inserted=F("rows_inserted") + result.inserted,
            seconds=F("seconds") + result.seconds,
            updated_at=timezone.now(),
        )


class _Pools:
    """The job's FormatPool, started at its first file large enough to be worth it."""

    def __init__(self) -> None:
        self.pool: FormatPool | None = None
        self.failed = False

    def for_file(self, file: ImportFile) -> FormatPool | None:
        processes = settings.IMPORT_FORMAT_PROCESSES
        if processes < 0:
            # The importer's process and its PostgreSQL backend each keep a CPU busy; a pool
            # only pays off with CPUs to spare (on two, its IPC costs more than it gives).
            processes = min(4, max(0, (os.cpu_count() or 1) - 2))
        small = file.size < settings.IMPORT_PARALLEL_MIN_BYTES
        if processes <= 0 or small or file.table not in BULK_TABLES or self.failed:
            return None
        if self.pool is None:
            try:
                self.pool = FormatPool(processes)
            except (AssertionError, OSError) as exc:  # e.g. inside a daemonic (prefork) worker
                log.warning("formatting in this process (no pool: %s)", exc)
                self.failed = True
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None


# --- live progress ------------------------------------------------------------------------


def _live_key(job_id: int) -> str:
    return f"importer:live:{job_id}"


def _cancel_key(job_id: int) -> str:
    return f"importer:cancel:{job_id}"


def live_progress(job_id: int) -> dict[str, Any] | None:
    return cache.get(_live_key(job_id))


class _Live:
    """Publishes a running job's progress (to the cache, for the panel and the SSE endpoint,
    and to the command's callback) and notices cancellation, at most every half second."""

    def __init__(self, job: ImportJob, on_progress: ProgressCallback | None) -> None:
        job.refresh_from_db()
        self.job = job
        self.on_progress = on_progress
        self.files_done = job.files_done
        self.bytes_done = job.bytes_done
        self.rows_done = job.rows_done
        self.path = ""
        self.rate = 0.0
        self.byte_rate = 0.0
        self._last = (time.monotonic(), 0, 0)  # (when, rows, bytes) at the last publish
        self._file_rows = 0
        self._file_bytes = 0

    def start_file(self, file: ImportFile) -> None:
        self.path = file.path
        self._file_rows = self._file_bytes = 0
        self._last = (time.monotonic(), self.rows_done, self.bytes_done)
        self.publish(force=True)

    def tick(self, rows: int, nbytes: int) -> None:
        self._file_rows, self._file_bytes = rows, nbytes
        self.publish()

    def file_done(self, file: ImportFile) -> None:
        self.files_done += 1
        self.rows_done += file.rows or 0
        self.bytes_done += file.size
        self._file_rows = self._file_bytes = 0
        self.publish(force=True)

    def check_cancel(self) -> None:
        if cache.get(_cancel_key(self.job.pk)):
            raise Cancelled()

    def publish(self, force: bool = False) -> None:
        now = time.monotonic()
        when, rows0, bytes0 = self._last
        if not force and now - when < PROGRESS_SECONDS:
            return
        self.check_cancel()
        rows = self.rows_done + self._file_rows
        nbytes = self.bytes_done + self._file_bytes
        if now - when >= PROGRESS_SECONDS:
            # smoothed, so the panel's rows/s and ETA do not jump from file to file
            rate = max(rows - rows0, 0) / (now - when)
            byte_rate = max(nbytes - bytes0, 0) / (now - when)
            self.rate = _smooth(self.rate, rate)
            self.byte_rate = _smooth(self.byte_rate, byte_rate)
            self._last = (now, rows, nbytes)
        cache.set(
            _live_key(self.job.pk),
            {
                "file": self.path,
                "filesDone": self.files_done,
                "rowsDone": rows,
                "bytesDone": nbytes,
                "rowsPerSecond": round(self.rate, 1),
                "bytesPerSecond": round(self.byte_rate, 1),
                "at": time.time(),
            },
            LIVE_TTL,
        )
        if self.on_progress:
            self.on_progress(
                Progress(
                    self.path,
                    self.files_done,
                    self.job.files_total,
                    nbytes,
                    self.job.bytes_total,
                    rows,
                    self.rate,
                )
            )


def _smooth(previous: float, current: float) -> float:
    return current if not previous else 0.7 * previous + 0.3 * current
