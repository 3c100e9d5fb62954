"""Importer benchmark: activation rows per second, gz JSONL in, rows committed.

    python bench/importer.py [--rows 1000000] [--tokens 64] [--per-feature 25] [--rounds 1]

It writes a Neuronpedia-format export (model/sourceset/source.jsonl, features/ and
activations/batch-N.jsonl.gz with 1,024 features per batch, `--rows` activation rows of
`--tokens` tokens) into `--workdir` (kept, so a second run skips this), creates a fresh
database `np_bench_importer` on the same server as the app's (migrated: the real "Activation"
table with all its indexes and foreign keys), loads the features, and then times, each on an
emptied "Activation" table:

1. ours: the importer's job (`importer.jobs.run_job`) over the activation batches, from the
   gz files to committed rows, checkpoints and completeness report included;
2. (a) Neuronpedia's method, reimplemented: each file decompressed whole, `\\u0000` replaced,
   `INSERT ... SELECT ... FROM jsonb_to_recordset($1::jsonb) ON CONFLICT DO NOTHING` in chunks
   of 65,000 lines with `work_mem = '2GB'` (NOT NULL columns our schema has no database default
   for get constants in the SELECT, as Prisma's defaults would give them; lines are only
   re-serialised when they hold zIndices, which favours (a));
3. (b) a bare COPY of the same rows already formatted as COPY text (formatting not timed),
   one transaction per file, the table's foreign key triggers on;
4. (b') the same COPY with the foreign key triggers off.

Each path is compared with the COPY under the same constraints. As a superuser the importer
turns the foreign key triggers off (`session_replication_role`), so `ours` is measured against
(b'). A managed PostgreSQL (RDS, Cloud SQL) gives a plain role that may not do that, and the
importer keeps the triggers: `ours-plain`, `neuronpedia-plain` and `copy-plain` run as such a
role (`np_bench_plain`, created with the privileges an app role has), and `ours-plain` is
measured against (b) as that role.

Each method runs `--rounds` times, interleaved; medians are printed, with the client's (its
format pool included) and the PostgreSQL backend's CPU seconds (the machine may be shared: CPU
time is steadier than wall time). The benchmark database is dropped at the end (`--keep-db`
keeps it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import random
import resource
import statistics
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuronpedia_site.settings")

from neuronpedia_format.users import BOT_USER_ID  # noqa: E402  (after the path is set)

BENCH_DB = "np_bench_importer"
CACHE_DB = 13  # Redis database for live progress keys, away from the app's and the tests'
MODEL_ID = "bench-model"
SOURCE_ID = "0-res-bench"
SET_NAME = "res-bench"
BOT = BOT_USER_ID
FEATURES_PER_BATCH = 1024
CHUNK_LINES = 65_000


@dataclass
class Result:
    method: str
    rows: int
    seconds: float
    client_cpu: float
    server_cpu: float | None

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


# --- the export ---------------------------------------------------------------------------

_WORD_TEXT = (
    "the of and to in is was for that on as with by at from his an be this are which "
    "it or had not but were her one all been their has have they its new more after "
    "who first also two can would only other time when into about some there him up "
    "out so many she most years these over such may then than them made world any "
    "people did neuron feature model token layer attention residual stream "
    "activation vector ing ed ly er es ation ment ness ity ous al ive ful less able "
    "ism ist "
)
WORDS = _WORD_TEXT.split()
SPECIAL = ["\n", "\n\n", ".", ",", '"', " (", ")", ":", ";", "'s", " -", " —", " «", "»",
           " über", " 日本", " café", "\t", " \\", " 😀", " <|endoftext|>"]  # fmt: skip


def _f32(value: float) -> float:
    """The float a float32 activation becomes in JSON (17 significant digits)."""
    return struct.unpack("f", struct.pack("f", value))[0]


def _pools(tokens: int, seed: int, size: int = 4096) -> tuple[list[Any], list[Any]]:
    rng = random.Random(seed)
    token_lists = []
    for _ in range(size):
        toks = []
        for _ in range(tokens):
            if rng.random() < 0.08:
                toks.append(rng.choice(SPECIAL))
            else:
                word = rng.choice(WORDS)
                toks.append((" " + word) if rng.random() < 0.7 else word)
        token_lists.append(toks)
    value_lists = []
    for _ in range(size):
        values = [0.0 if rng.random() < 0.6 else _f32(rng.random() * 12) for _ in range(tokens)]
        top = max(range(tokens), key=values.__getitem__)
        value_lists.append((values, values[top], top, min(values)))
    return token_lists, value_lists


def _write_activation_batch(args: tuple[Path, int, int, int, int]) -> int:
    path, batch, per_feature, tokens, first_row = args
    token_lists, value_lists = _pools(tokens, seed=batch)
    rng = random.Random(batch)
    row_id = first_row
    with gzip.open(path, "wt", compresslevel=6, encoding="utf-8") as out:
        for feature in range(batch * FEATURES_PER_BATCH, (batch + 1) * FEATURES_PER_BATCH):
            for n in range(per_feature):
                values, top_value, top, low = rng.choice(value_lists)
                row = {
                    "id": f"cb{row_id:023x}",
                    "modelId": MODEL_ID,
                    "layer": SOURCE_ID,
                    "index": str(feature),
                    "creatorId": BOT,
                    "dataSource": "monology/pile-uncopyrighted",
                    "tokens": rng.choice(token_lists),
                    "maxValue": top_value,
                    "minValue": low,
                    "values": values,
                    "maxValueTokenIndex": top,
                    "dfaValues": [],
                    "dfaMaxValue": None,
                    "dfaTargetIndex": None,
                    "binContains": 0.01 if n > 20 else None,
                    "binMin": _f32(n / 10) if n > 20 else None,
                    "binMax": _f32(n / 10 + 1) if n > 20 else None,
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                row_id += 1
    return row_id - first_row


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r) + "\n" for r in rows)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)


def build_export(workdir: Path, rows: int, tokens: int, per_feature: int) -> Path:
    """The export under workdir/export, reused when the parameters are the same."""
    root = workdir / "export"
    params = {"rows": rows, "tokens": tokens, "per_feature": per_feature, "version": 1}
    stamp = root / "params.json"
    if stamp.exists() and json.loads(stamp.read_text()) == params:
        return root
    base = root / MODEL_ID / SOURCE_ID
    per_batch = FEATURES_PER_BATCH * per_feature
    batches = (rows + per_batch - 1) // per_batch
    print(f"writing the export: {batches} batches of {per_batch:,} rows ...", flush=True)
    created = "2024-01-01T00:00:00.000Z"
    _write_jsonl(base / "model.jsonl", [
        {"id": MODEL_ID, "displayName": "Bench model", "creatorId": BOT, "layers": 1,
         "visibility": "PUBLIC", "createdAt": created, "updatedAt": created}])  # fmt: skip
    _write_jsonl(base / "sourceset.jsonl", [
        {"modelId": MODEL_ID, "name": SET_NAME, "creatorId": BOT, "visibility": "PUBLIC",
         "description": "bench", "creatorName": "bench", "urls": [],
         "createdAt": created}])  # fmt: skip
    _write_jsonl(base / "source.jsonl", [
        {"id": SOURCE_ID, "modelId": MODEL_ID, "setName": SET_NAME, "creatorId": BOT,
         "visibility": "PUBLIC", "createdAt": created}])  # fmt: skip
    for batch in range(batches):
        features = range(batch * FEATURES_PER_BATCH, (batch + 1) * FEATURES_PER_BATCH)
        _write_jsonl(
            base / "features" / f"batch-{batch}.jsonl.gz",
            [{"modelId": MODEL_ID, "layer": SOURCE_ID, "index": str(i), "creatorId": BOT,
              "sourceSetName": SET_NAME, "maxActApprox": 12.0, "frac_nonzero": 0.001,
              "pos_str": [" a", " b"], "pos_values": [1.5, 0.5]} for i in features],
        )  # fmt: skip
    (base / "activations").mkdir(parents=True, exist_ok=True)
    jobs = [
        (base / "activations" / f"batch-{b}.jsonl.gz", b, per_feature, tokens, b * per_batch)
        for b in range(batches)
    ]
    with multiprocessing.Pool(min(os.cpu_count() or 1, 4)) as pool:
        written = sum(pool.map(_write_activation_batch, jobs))
    stamp.write_text(json.dumps(params))
    print(f"  {written:,} activation rows written", flush=True)
    return root


# --- the database -------------------------------------------------------------------------


def setup_database() -> dict[str, Any]:
    """A fresh, migrated np_bench_importer database; Django's connections point at it."""
    import django
    from django.conf import settings

    settings.DATABASES["default"]["TEST"] = {"NAME": BENCH_DB}
    location = settings.CACHES["default"]["LOCATION"]
    if location.startswith("unix://"):
        location = location.split("?")[0] + f"?db={CACHE_DB}"
    else:
        location = location.rstrip("/").rsplit("/", 1)[0] + f"/{CACHE_DB}"
    settings.CACHES["default"]["LOCATION"] = location
    django.setup()
    from django.test.utils import setup_databases

    return {"old": setup_databases(verbosity=0, interactive=False)}


PLAIN_ROLE = "np_bench_plain"
_APP_USER: dict[str, str] = {}  # the role the app's settings name, kept while another is used


def create_plain_role() -> None:
    """A login role like a managed database's app role: owns nothing, may not set
    `session_replication_role`, may read and write the tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {PLAIN_ROLE}" if _role_exists(cursor) else "SELECT 1")
        cursor.execute(f"DROP ROLE IF EXISTS {PLAIN_ROLE}")
        cursor.execute(f"CREATE ROLE {PLAIN_ROLE} LOGIN NOSUPERUSER")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {PLAIN_ROLE}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {PLAIN_ROLE}")


def _role_exists(cursor: Any) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [PLAIN_ROLE])
    return cursor.fetchone() is not None


def use_role(user: str | None) -> None:
    """Django's connection (the importer's job) as `user`, or as the app's own role."""
    from django.conf import settings
    from django.db import connection

    connection.close()
    _APP_USER.setdefault("user", settings.DATABASES["default"].get("USER", ""))
    settings.DATABASES["default"]["USER"] = user or _APP_USER["user"]
    connection.settings_dict["USER"] = settings.DATABASES["default"]["USER"]


def conninfo(user: str | None = None) -> dict[str, Any]:
    from django.db import connection

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    if user:
        params["user"] = user
    return params


def backend_cpu(pid: int) -> float | None:
    """CPU seconds of a (local) PostgreSQL backend, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def empty_activations() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute('TRUNCATE "Activation" CASCADE')
        cursor.execute("CHECKPOINT")


def count_activations() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM "Activation"')
        return cursor.fetchone()[0]


def make_job(root: Path, files: list[tuple[Path, str]]) -> Any:
    """An import job over exactly these (file, table) pairs, planned as the importer would."""
    from importer.models import ImportFile, ImportJob

    job = ImportJob.objects.create(
        location=str(root), model_id=MODEL_ID, source_id=SOURCE_ID, state="queued",
        files_total=len(files), bytes_total=sum(f.stat().st_size for f, _ in files),
    )  # fmt: skip
    ImportFile.objects.bulk_create(
        ImportFile(job=job, order=i, path=f.relative_to(root).as_posix(), table=table,
                   size=f.stat().st_size)
        for i, (f, table) in enumerate(files)
    )  # fmt: skip
    return job


def load_features(root: Path) -> None:
    from importer import jobs

    base = root / MODEL_ID / SOURCE_ID
    files = [
        (base / "model.jsonl", "Model"),
        (base / "sourceset.jsonl", "SourceSet"),
        (base / "source.jsonl", "Source"),
    ] + [(f, "Neuron") for f in sorted((base / "features").glob("batch-*.jsonl.gz"))]
    job = jobs.run_job(make_job(root, files).pk)
    if job.state != "done":
        raise SystemExit(f"loading the features failed: {job.error}")


# --- the methods --------------------------------------------------------------------------


def _client_cpu() -> float:
    """This process's CPU seconds and its finished children's (the importer's format pool)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _timed(method: str, rows: int, pid: int, run: Any, empty: bool = True) -> Result:
    if empty:
        empty_activations()
    server0 = backend_cpu(pid)
    cpu0, wall0 = _client_cpu(), time.perf_counter()
    run()
    wall, cpu = time.perf_counter() - wall0, _client_cpu() - cpu0
    server1 = backend_cpu(pid)
    loaded = count_activations()
    if loaded != rows:
        raise SystemExit(f"{method}: {loaded:,} rows in the table, expected {rows:,}")
    server = server1 - server0 if server0 is not None and server1 is not None else None
    return Result(method, rows, wall, cpu, server)


def run_ours(root: Path, files: list[Path], rows: int, role: str | None = None) -> Result:
    from django.db import connection

    from importer import jobs, loader

    job = make_job(root, [(f, "Activation") for f in files])
    empty_activations()  # as the app's role (TRUNCATE needs the owner)
    use_role(role)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        if role and loader.can_skip_triggers():
            raise SystemExit(f"{role} may turn the triggers off: not the plain-role path")

        def run() -> None:
            done = jobs.run_job(job.pk)
            if done.state != "done":
                raise SystemExit(f"ours: {done.state}: {done.error}")

        label = "ours, plain role (triggers on)" if role else "ours: importer job"
        return _timed(label, rows, pid, run, empty=False)
    finally:
        use_role(None)


def run_neuronpedia(files: list[Path], rows: int, role: str | None = None) -> Result:
    import psycopg

    conn = psycopg.connect(**conninfo(role), autocommit=True)
    conn.execute("SET work_mem = '2GB'")
    pid = _one(conn.execute("SELECT pg_backend_pid()").fetchone())
    columns_sql = """
        SELECT column_name,
          CASE WHEN data_type = 'ARRAY' THEN udt_name::regtype::text || '[]'
               WHEN data_type = 'USER-DEFINED' THEN udt_name
               ELSE data_type END,
          is_nullable = 'NO' AND column_default IS NULL, data_type
        FROM information_schema.columns
        WHERE table_name = 'Activation' ORDER BY ordinal_position"""
    table = conn.execute(columns_sql).fetchall()

    def normalize(line: str) -> str:
        row = json.loads(line)
        pair = row.get("zIndices")
        if isinstance(pair, list) and len(pair) == 2:
            row["zKIndices"], row["zQIndices"] = pair
        return json.dumps(row)

    def run() -> None:
        for path in files:
            text = gzip.decompress(path.read_bytes()).decode().replace("\\u0000", " ")
            lines = [ln for ln in text.strip().split("\n") if ln.strip()]
            lines = [normalize(ln) if "zIndices" in ln else ln for ln in lines]
            keys = set(json.loads(lines[0]))
            cols = [(n, t) for n, t, _, _ in table if n in keys]
            # what Prisma's column defaults would fill in (our schema has none)
            extra = [
                (n, "now()" if "timestamp" in kind else "'{}'")
                for n, _, required, kind in table
                if required and n not in keys
            ]
            names = ", ".join(f'"{n}"' for n, _ in cols)
            extra_names = ", ".join(f'"{n}"' for n, _ in extra)
            extra_values = ", ".join(v for _, v in extra)
            types = ", ".join(f'"{n}" {t}' for n, t in cols)
            query = (
                f'INSERT INTO "Activation" ({names}, {extra_names}) '
                f"SELECT {names}, {extra_values} FROM jsonb_to_recordset(%s::jsonb) AS t({types}) "
                "ON CONFLICT DO NOTHING"
            )
            for i in range(0, len(lines), CHUNK_LINES):
                conn.execute(query, ["[" + ",".join(lines[i : i + CHUNK_LINES]) + "]"])

    label = "(a) Neuronpedia jsonb_to_recordset" + (", plain role" if role else "")
    try:
        return _timed(label, rows, pid, run)
    finally:
        conn.close()


def preformat(root: Path, files: list[Path], workdir: Path) -> tuple[list[str], list[Path]]:
    """The rows of every activation file as COPY text, by the importer's own formatter."""
    from django.utils import timezone

    from importer.copytext import RowFormatter
    from importer.loader import Catalog

    catalog = Catalog()
    out_dir = workdir / "copytext"
    out_dir.mkdir(exist_ok=True)
    out_files, names = [], []
    now = timezone.now().isoformat()
    for path in files:
        text = gzip.decompress(path.read_bytes()).decode()
        first = json.loads(text[: text.index("\n")])
        formatter = RowFormatter.plan(
            "Activation", first, catalog.columns("Activation"), catalog.defaults("Activation"), now
        )
        target = out_dir / (path.name.removesuffix(".jsonl.gz") + ".copy")
        target.write_text(formatter.format_chunk(text), encoding="utf-8")
        out_files.append(target)
        names = formatter.names
    return names, out_files


def _one(row: tuple[Any, ...] | None) -> Any:
    """The first column of a row that must exist."""
    assert row is not None
    return row[0]


def run_copy(
    names: list[str], copy_files: list[Path], rows: int, triggers: bool, role: str | None = None
) -> Result:
    import psycopg

    conn = psycopg.connect(**conninfo(role))
    pid = _one(conn.execute("SELECT pg_backend_pid()").fetchone())
    conn.commit()
    columns = ", ".join(f'"{n}"' for n in names)
    sql = f'COPY "Activation" ({columns}) FROM STDIN'

    def run() -> None:
        for path in copy_files:
            with conn.transaction(), conn.cursor() as cursor:
                if not triggers:
                    cursor.execute("SET LOCAL session_replication_role = replica")
                with path.open("rb") as source, cursor.copy(sql) as copy:
                    while block := source.read(1 << 20):
                        copy.write(block)

    label = "(b) bare COPY, preformatted" if triggers else "(b') bare COPY, FK triggers off"
    label += ", plain role" if role else ""
    try:
        return _timed(label, rows, pid, run)
    finally:
        conn.close()


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="activation rows")
    parser.add_argument("--tokens", type=int, default=64, help="tokens per activation row")
    parser.add_argument("--per-feature", type=int, default=25, help="activation rows per feature")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/np-bench-importer"))
    parser.add_argument(
        "--methods",
        default="ours,neuronpedia,copy,copy-no-triggers,ours-plain,copy-plain",
        help="comma-separated; also neuronpedia-plain",
    )
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    per_batch = FEATURES_PER_BATCH * args.per_feature
    rows = (args.rows + per_batch - 1) // per_batch * per_batch  # whole batches
    args.workdir.mkdir(parents=True, exist_ok=True)
    root = build_export(args.workdir, rows, args.tokens, args.per_feature)
    files = sorted(
        (root / MODEL_ID / SOURCE_ID / "activations").glob("batch-*.jsonl.gz"),
        key=lambda p: int(p.name.split("-")[1].split(".")[0]),
    )
    gz_bytes = sum(f.stat().st_size for f in files)

    state = setup_database()
    try:
        load_features(root)
        create_plain_role()
        from django.conf import settings

        methods = args.methods.split(",")
        names: list[str] = []
        copy_files: list[Path] = []
        if any(m.startswith("copy") for m in methods):
            print("formatting the rows as COPY text (untimed) ...", flush=True)
            names, copy_files = preformat(root, files, args.workdir)
        print(
            f"{rows:,} activation rows x {args.tokens} tokens in {len(files)} files "
            f"({gz_bytes / 1e6:,.0f} MB gz); fast constraints: "
            f"{settings.IMPORT_FAST_CONSTRAINTS}; {os.cpu_count()} CPUs",
            flush=True,
        )
        runners = {
            "ours": lambda: run_ours(root, files, rows),
            "neuronpedia": lambda: run_neuronpedia(files, rows),
            "copy": lambda: run_copy(names, copy_files, rows, triggers=True),
            "copy-no-triggers": lambda: run_copy(names, copy_files, rows, triggers=False),
            "ours-plain": lambda: run_ours(root, files, rows, PLAIN_ROLE),
            "neuronpedia-plain": lambda: run_neuronpedia(files, rows, PLAIN_ROLE),
            "copy-plain": lambda: run_copy(names, copy_files, rows, triggers=True, role=PLAIN_ROLE),
        }
        for f in files:  # into the page cache, so no method pays for the first read
            f.read_bytes()
        results: dict[str, list[Result]] = {m: [] for m in methods}
        for round_ in range(args.rounds):
            for method in methods:
                result = runners[method]()
                results[method].append(result)
                print(
                    f"  round {round_ + 1}: {result.method:<36} {result.seconds:8.1f} s "
                    f"{result.rate:10,.0f} rows/s",
                    flush=True,
                )
        report(results, rows)
    finally:
        if not args.keep_db:
            from django.test.utils import teardown_databases

            teardown_databases(state["old"], verbosity=0)


def report(results: dict[str, list[Result]], rows: int) -> None:
    print()
    print(f"{'method':<38} {'seconds':>8} {'rows/s':>10} {'client CPU s':>13} {'server CPU s':>13}")
    medians: dict[str, float] = {}
    for method, runs in results.items():
        seconds = statistics.median(r.seconds for r in runs)
        medians[method] = rows / seconds
        client = statistics.median(r.client_cpu for r in runs)
        servers = [r.server_cpu for r in runs if r.server_cpu is not None]
        server = f"{statistics.median(servers):13.1f}" if servers else f"{'-':>13}"
        rate = rows / seconds
        print(f"{runs[0].method:<38} {seconds:8.1f} {rate:10,.0f} {client:13.1f} {server}")
    print()
    goals = [
        # (ours, baseline, what, goal, as a ratio or a share)
        ("ours", "neuronpedia", "superuser: ours / (a) Neuronpedia", 2.0, "x"),
        ("ours", "copy-no-triggers", "superuser: ours / (b') COPY, triggers off", 0.5, "%"),
        ("ours-plain", "neuronpedia-plain", "plain role: ours / (a) Neuronpedia", 2.0, "x"),
        ("ours-plain", "neuronpedia", "plain role: ours / (a) Neuronpedia (superuser)", 2.0, "x"),
        ("ours-plain", "copy-plain", "plain role: ours / (b) COPY, triggers on", 0.5, "%"),
    ]
    for ours, base, what, goal, unit in goals:
        if ours in medians and base in medians:
            ratio = medians[ours] / medians[base]
            shown = f"{ratio:5.2f}x" if unit == "x" else f"{ratio:5.0%}"
            wanted = f"{goal:g}x" if unit == "x" else f"{goal:.0%}"
            met = "met" if ratio >= goal else "NOT met"
            print(f"{what:<48} {shown}  (goal >= {wanted}: {met})")


if __name__ == "__main__":
    main()
