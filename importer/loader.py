"""Loading one export file into its table with COPY, inside the caller's transaction.

Three ways, by table:
- bulk (Neuron, Activation, Explanation): COPY straight into the table. If the file's rows are
  already there (a re-sync, or rows another import brought), the unique index stops the COPY
  and the file is loaded again through a staging table with `ON CONFLICT DO NOTHING`, so a
  file can be imported any number of times without duplicating a row.
- insert (release, model, source set, source): staging table, `ON CONFLICT DO NOTHING`
  ("create if absent", never overwriting what an operator changed).
- upsert (config tables, inference hosts): staging table, `ON CONFLICT (key) DO UPDATE`.

With fast constraints, the bulk COPY runs with `session_replication_role = replica`, which
turns off the per-row foreign key triggers (the costliest part of loading "Activation", more
than its indexes), and the foreign keys are then checked for the whole file with one query
per key that also takes the same `FOR KEY SHARE` locks the triggers would. Unique indexes,
NOT NULL and CHECK constraints stay on. Any error rolls the file back: nothing half-written.
"""

from __future__ import annotations

import http.client
import itertools
import json
import queue
import re
import sys
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter

from importer.copytext import (
    Column,
    RowError,
    RowFormatter,
    django_defaults,
    format_remote,
    replace_nul,
)
from importer.copytext import table_columns as read_table_columns
from importer.locations import LocationError
from neuronpedia_format.layout import BULK_TABLES

CHUNK_BYTES = 1 << 20
READ_BYTES = 1 << 18  # compressed bytes per read: about a CHUNK_BYTES of text
UPSERT_KEYS = {
    "ExplanationModelType": ("name",),
    "ExplanationType": ("name",),
    "ExplanationScoreModel": ("name",),
    "ExplanationScoreType": ("name",),
    "EvalType": ("name",),
    "InferenceHostSource": ("id",),
    "InferenceHostSourceOnSource": ("sourceId", "sourceModelId", "inferenceHostId"),
}
_stage_names = itertools.count()

Tick = Callable[[int, int], None]  # (rows so far in this file, bytes read so far); may raise


class MissingReference(Exception):
    """Rows of the file point at rows that do not exist (a foreign key checked per file)."""


class TooLarge(ValueError):
    """A file past the importer's limits: a line too long, or too much inflated data."""


class FileError(Exception):
    """A file that could not be loaded; the message names the file and what was wrong."""

    def __init__(self, path: str, message: str, transient: bool = False) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
        self.transient = transient  # a network error: trying again may work


@dataclass
class FileResult:
    rows: int  # non-blank lines in the file
    inserted: int  # rows that were new to the table
    bytes_read: int
    seconds: float


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str  # quoted, as regclass prints it
    ref_columns: tuple[str, ...]
    ref_types: tuple[str, ...]


FOREIGN_KEYS_SQL = """
SELECT c.conname, c.confrelid::regclass::text,
       array_agg(a.attname ORDER BY k.ord), array_agg(ra.attname ORDER BY k.ord),
       array_agg(format_type(ra.atttypid, ra.atttypmod) ORDER BY k.ord)
FROM pg_constraint c
CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(col, refcol, ord)
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col
JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refcol
WHERE c.conrelid = %s::regclass AND c.contype = 'f'
GROUP BY c.conname, c.confrelid
ORDER BY c.conname
"""


@dataclass
class Catalog:
    """What the loader needs to know about tables, read once per job."""

    _columns: dict[str, dict[str, Column]] = field(default_factory=dict)
    _fks: dict[str, list[ForeignKey]] = field(default_factory=dict)
    _defaults: dict[str, dict[str, Any]] = field(default_factory=dict)

    def columns(self, table: str) -> dict[str, Column]:
        if table not in self._columns:
            with connection.cursor() as cursor:
                self._columns[table] = read_table_columns(cursor, table)
            if not self._columns[table]:
                raise DatabaseError(f'table "{table}" does not exist')
        return self._columns[table]

    def foreign_keys(self, table: str) -> list[ForeignKey]:
        if table not in self._fks:
            with connection.cursor() as cursor:
                cursor.execute(FOREIGN_KEYS_SQL, [f'"{table}"'])
                self._fks[table] = [
                    ForeignKey(tuple(cols), ref, tuple(ref_cols), tuple(types))
                    for _, ref, cols, ref_cols, types in cursor.fetchall()
                ]
        return self._fks[table]

    def defaults(self, table: str) -> dict[str, Any]:
        if table not in self._defaults:
            self._defaults[table] = django_defaults(table)
        return self._defaults[table]


def can_skip_triggers() -> bool:
    """Whether this database role may set session_replication_role (superusers may)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        if cursor.fetchone()[0]:
            return True
        try:
            with transaction.atomic():
                cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
                return bool(cursor.fetchone()[0])
        except DatabaseError:  # PostgreSQL < 15
            return False


def load_file(
    opener: Callable[[], BinaryIO],
    path: str,
    table: str,
    catalog: Catalog,
    tick: Tick | None = None,
    fast_constraints: bool = False,
    pool: FormatPool | None = None,
) -> FileResult:
    """Load every row of the file at `path` into `table`; call inside a transaction.

    `opener` opens the file again each time it is called (the merge path reads it twice);
    with a `pool`, rows are decoded and formatted in its processes.
    """
    started = time.monotonic()
    tick = tick or (lambda rows, nbytes: None)
    now = timezone.now().isoformat()
    try:
        if table in BULK_TABLES:
            try:
                with transaction.atomic():
                    rows, inserted, nbytes = _copy_direct(
                        opener, path, table, catalog, tick, now, fast_constraints, pool
                    )
            except psycopg.errors.UniqueViolation:
                rows, inserted, nbytes = _merge(opener, path, table, catalog, tick, now, None, pool)
        else:
            conflict = UPSERT_KEYS.get(table)
            rows, inserted, nbytes = _merge(opener, path, table, catalog, tick, now, conflict)
    except (RowError, MissingReference, TooLarge) as exc:
        raise FileError(path, str(exc)) from exc
    except LocationError as exc:
        raise FileError(path, str(exc), transient=exc.transient) from exc
    except (psycopg.Error, DatabaseError) as exc:
        raise FileError(path, describe_db_error(exc)) from exc
    except (zlib.error, EOFError) as exc:
        raise FileError(path, f"corrupt or truncated gzip data ({exc})") from exc
    except _network_errors() as exc:
        raise FileError(path, f"read error ({exc})", transient=True) from exc
    except UnicodeDecodeError as exc:
        raise FileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return FileResult(rows, inserted, nbytes, time.monotonic() - started)


# --- reading ------------------------------------------------------------------------------


def _network_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (OSError, http.client.HTTPException)
    try:
        from botocore.exceptions import BotoCoreError
    except ImportError:  # pragma: no cover - boto3 is a requirement
        return errors
    return (*errors, BotoCoreError)


class _Counting:
    """Counts the (compressed) bytes read from a stream, for progress and ETA."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data


def _gunzip(stream: _Counting, max_inflated: int) -> Iterator[bytes]:
    """The decompressed bytes of a gzip stream in blocks of at most CHUNK_BYTES, members one
    after another, CRC-checked; more than `max_inflated` bytes in all is TooLarge.

    zlib directly, in large reads: about twice as fast as gzip.GzipFile's small reads. Output
    is capped per call (`max_length`): 256 KiB of a gzip bomb would otherwise inflate to
    256 MiB in one block.
    """
    inflater = None
    inflated = 0
    while data := stream.read(READ_BYTES):
        while True:
            if inflater is None:
                if not data:
                    break
                inflater = zlib.decompressobj(wbits=31)  # 31: gzip header and trailer
            block = inflater.decompress(data, CHUNK_BYTES)
            if block:
                inflated += len(block)
                if inflated > max_inflated:
                    raise TooLarge(
                        f"inflates to more than {max_inflated:,} bytes (IMPORT_MAX_INFLATED_BYTES)"
                    )
                yield block
            if inflater.eof:
                data, inflater = inflater.unused_data, None  # the next member, if any
                continue
            data = inflater.unconsumed_tail
            if not data and len(block) < CHUNK_BYTES:
                break  # a full block may leave output in zlib: ask again before reading
    if inflater is not None:
        raise EOFError("compressed file ended before the end-of-stream marker was reached")


def _has_line_longer_than(block: bytes, limit: int) -> bool:
    if len(block) <= limit:  # the usual case: nothing to scan
        return False
    start = 0
    while (end := block.find(b"\n", start)) >= 0:
        if end - start > limit:
            return True
        start = end + 1
    return len(block) - start > limit


def _line_chunks(stream: _Counting, gz: bool, max_line: int, max_inflated: int) -> Iterator[bytes]:
    """The file's bytes in pieces of about CHUNK_BYTES that end at a line end. A line longer
    than `max_line` is TooLarge: it would be held whole, however long it grew."""
    blocks = _gunzip(stream, max_inflated) if gz else iter(lambda: stream.read(CHUNK_BYTES), b"")
    rest = b""
    for block in blocks:
        if rest:
            block = rest + block
        if _has_line_longer_than(block, max_line):
            raise TooLarge(f"a line longer than {max_line:,} bytes (IMPORT_MAX_LINE_BYTES)")
        cut = block.rfind(b"\n")
        if cut < 0:
            rest = block
            continue
        rest = block[cut + 1 :]
        yield block[: cut + 1]
    if rest.strip():
        yield rest


def _first_row(chunks: Iterator[bytes]) -> tuple[dict[str, Any] | None, list[bytes]]:
    """The first JSON object of the file, and the chunks read to find it."""
    seen: list[bytes] = []
    for block in chunks:
        if not block.strip():
            continue  # blank lines are no rows: keep nothing of them
        seen.append(block)
        for line in block.split(b"\n"):
            if line.strip():
                try:
                    row = json.loads(replace_nul(line.decode("utf-8")))
                except ValueError as exc:
                    if isinstance(exc, UnicodeDecodeError):
                        raise
                    raise RowError(1, f"invalid JSON ({exc})") from None
                if not isinstance(row, dict):
                    raise RowError(1, "expected a JSON object")
                return row, seen
    return None, seen


class _ReadAhead:
    """The next chunks, read and decompressed in a thread while this one formats: socket
    reads and zlib release the GIL, so network, inflating and formatting overlap."""

    _END = object()

    def __init__(self, chunks: Iterator[bytes], depth: int = 4) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(chunks,), name="importer-read-ahead", daemon=True
        )
        self._thread.start()

    def _run(self, chunks: Iterator[bytes]) -> None:
        try:
            for chunk in chunks:
                if not self._put(chunk):
                    return
            self._put(self._END)
        except BaseException as exc:  # handed to the reading thread, which raises it
            self._put(exc)

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> _ReadAhead:
        return self

    def __next__(self) -> bytes:
        item = self._queue.get()
        if item is self._END:
            self._queue.put(item)  # stay exhausted
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _open_rows(
    opener: Callable[[], BinaryIO], path: str
) -> tuple[_Counting, dict[str, Any] | None, Iterator[bytes], ExitStack]:
    """The file opened: its byte counter, first row, chunks, and what closes it all."""
    cleanup = ExitStack()
    raw = opener()
    cleanup.callback(raw.close)
    stream = _Counting(raw)
    limits = settings.IMPORT_MAX_LINE_BYTES, settings.IMPORT_MAX_INFLATED_BYTES
    chunks = _ReadAhead(_line_chunks(stream, path.endswith(".gz"), *limits))
    cleanup.callback(chunks.close)  # stops reading before the stream closes
    try:
        first, seen = _first_row(chunks)
    except BaseException:
        cleanup.close()
        raise
    return stream, first, itertools.chain(seen, chunks), cleanup


class FormatPool:
    """Processes that decode and format chunks while this one reads, decompresses and
    sends: JSON decoding is the costliest part of an import, and one Python process
    cannot keep COPY busy on its own. Created per job, for files worth it."""

    def __init__(self, processes: int) -> None:
        import multiprocessing

        # spawn: children start clean, with none of this process's connections or threads
        self.pool = multiprocessing.get_context("spawn").Pool(processes)
        self.window = processes * 2  # chunks in flight: bounded memory, no idle process

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


@contextmanager
def _switching(interval: float = 0.0005) -> Iterator[None]:
    """Hand the GIL over more often while COPY runs.

    The writer thread needs the GIL for every 128 KiB piece it passes to libpq, and while this
    thread formats it gets it only once per switch interval (5 ms by default): the writer then
    sends at most ~25 MB/s, below what the server takes, and the backlog is paid for at the end
    of every file. At 0.5 ms the formatting is barely slower and the server stays busy.
    """
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, interval))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def _send(
    cursor: Any,
    sql: str,
    chunks: Iterator[bytes],
    formatter: RowFormatter,
    stream: _Counting,
    tick: Tick,
    pool: FormatPool | None = None,
) -> None:
    # A writer thread sends while this one formats the next chunk: without it, every wait
    # for the server to drain the socket would stall the formatting.
    with _switching(), cursor.copy(sql, writer=QueuedLibpqWriter(cursor)) as copy:
        if pool is None:
            for block in chunks:
                data = formatter.format_chunk(block.decode("utf-8"))
                if data:
                    copy.write(data.encode())
                tick(formatter.rows, stream.count)
            return
        plan_id = uuid.uuid4().hex
        pending: deque[Any] = deque()

        def collect() -> None:
            try:
                data, rows, keys = pending.popleft().get()
            except RowError as exc:  # its row counts from the start of its chunk
                raise RowError(formatter.rows + exc.row, exc.message) from None
            if data:
                copy.write(data)
            formatter.absorb(rows, keys)
            tick(formatter.rows, stream.count)

        for block in chunks:
            pending.append(pool.pool.apply_async(format_remote, (plan_id, formatter.spec, block)))
            if len(pending) >= pool.window:
                collect()
        while pending:
            collect()


# --- the three ways -----------------------------------------------------------------------


def _copy_direct(
    opener: Callable[[], BinaryIO],
    path: str,
    table: str,
    catalog: Catalog,
    tick: Tick,
    now: str,
    fast_constraints: bool,
    pool: FormatPool | None,
) -> tuple[int, int, int]:
    stream, first, chunks, cleanup = _open_rows(opener, path)
    with cleanup:
        if first is None:
            return 0, 0, stream.count
        fks = catalog.foreign_keys(table) if fast_constraints else []
        formatter = RowFormatter.plan(
            table, first, catalog.columns(table), catalog.defaults(table), now,
            [fk.columns for fk in fks],
        )  # fmt: skip
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor
            if fast_constraints:
                cursor.execute("SET LOCAL session_replication_role = replica")
            sql = f'COPY "{table}" ({_quoted(formatter.names)}) FROM STDIN'
            _send(cursor, sql, chunks, formatter, stream, tick, pool)
            if fast_constraints:
                checked = [fk for fk in fks if set(fk.columns) <= set(formatter.names)]
                for fk, keys in zip(checked, formatter.foreign_keys(), strict=True):
                    _check_foreign_key(cursor, fk, keys)
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    return formatter.rows, formatter.rows, stream.count


def _check_foreign_key(cursor: Any, fk: ForeignKey, keys: set[tuple[str, ...]]) -> None:
    """Every key the file's rows reference must exist; lock them as the RI triggers would."""
    if not keys:
        return
    values = [list(column) for column in zip(*keys, strict=True)]
    arrays = ", ".join(f"%s::{t}[]" for t in fk.ref_types)
    aliases = ", ".join(f"k{i}" for i in range(len(fk.columns)))
    match = " AND ".join(f'r."{c}" = k.k{i}' for i, c in enumerate(fk.ref_columns))
    cursor.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {fk.ref_table} r "
        f"JOIN unnest({arrays}) AS k({aliases}) ON {match} FOR KEY SHARE OF r) s",
        values,
    )
    if cursor.fetchone()[0] == len(keys):
        return
    cursor.execute(
        f"SELECT {aliases} FROM unnest({arrays}) AS k({aliases}) WHERE NOT EXISTS "
        f"(SELECT 1 FROM {fk.ref_table} r WHERE {match}) ORDER BY 1 LIMIT 3",
        values,
    )
    missing = "; ".join("(" + ", ".join(map(str, row)) + ")" for row in cursor.fetchall())
    raise MissingReference(
        f"rows reference a missing {fk.ref_table} ({', '.join(fk.ref_columns)}): {missing}"
    )


def _merge(
    opener: Callable[[], BinaryIO],
    path: str,
    table: str,
    catalog: Catalog,
    tick: Tick,
    now: str,
    conflict: tuple[str, ...] | None,
    pool: FormatPool | None = None,
) -> tuple[int, int, int]:
    stream, first, chunks, cleanup = _open_rows(opener, path)
    with cleanup:
        if first is None:
            return 0, 0, stream.count
        formatter = RowFormatter.plan(
            table, first, catalog.columns(table), catalog.defaults(table), now
        )
        names = formatter.names
        cols = _quoted(names)
        stage = f"_import_stage_{next(_stage_names)}"
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor
            cursor.execute(
                f'CREATE TEMP TABLE {stage} AS SELECT {cols} FROM "{table}" WITH NO DATA'
            )
            cursor.execute(f"ALTER TABLE {stage} ADD COLUMN _line bigserial")
            sql = f"COPY {stage} ({cols}) FROM STDIN"
            _send(cursor, sql, chunks, formatter, stream, tick, pool)
            if conflict is None:
                cursor.execute(
                    f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM {stage} ORDER BY _line '
                    "ON CONFLICT DO NOTHING"
                )
            else:
                key = _quoted(list(conflict))
                # only what the file says: a default filled in for a missing key never
                # overwrites the stored value
                updates = [n for n in names if n not in conflict and n in first]
                action = (
                    "DO UPDATE SET " + ", ".join(f'"{n}" = EXCLUDED."{n}"' for n in updates)
                    if updates
                    else "DO NOTHING"
                )
                # rowcount would count updated rows as well; xmax is 0 only on a row this
                # statement inserted, so a re-sync that changes nothing reports 0 new rows.
                cursor.execute(
                    f'WITH upserted AS (INSERT INTO "{table}" ({cols}) '
                    f"SELECT DISTINCT ON ({key}) {cols} FROM {stage} "
                    f"ORDER BY {key}, _line DESC ON CONFLICT ({key}) {action} "
                    "RETURNING (xmax = 0) AS new) "
                    "SELECT count(*) FILTER (WHERE new) FROM upserted"
                )
            if conflict is None:
                inserted = cursor.rowcount
            else:
                counted = cursor.fetchone()
                inserted = counted[0] if counted else 0
            cursor.execute(f"DROP TABLE {stage}")
    return formatter.rows, inserted, stream.count


_COPY_CONTEXT = re.compile(r"COPY [^,]+, line (\d+)(?:, column ([^:]+))?")


def describe_db_error(exc: BaseException) -> str:
    """PostgreSQL's message, with COPY's "line N, column C" given as the row of the file."""
    cause = exc if isinstance(exc, psycopg.Error) else exc.__cause__
    if not isinstance(cause, psycopg.Error) or cause.diag.message_primary is None:
        return str(exc).strip()
    message = cause.diag.message_primary
    where = _COPY_CONTEXT.search(cause.diag.context or "")
    if where:
        message += f" (row {where.group(1)}" + (
            f", column {where.group(2)})" if where.group(2) else ")"
        )
    if cause.diag.message_detail:
        message += f": {cause.diag.message_detail}"
    return message
