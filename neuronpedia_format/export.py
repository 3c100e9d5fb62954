"""Neuronpedia's dataset export files (layout: `neuronpedia_format.layout`): their field sets, a
writer, and a strict reader.

The dashboards job writes this format and the importer reads it. `read_source_export` is a
strict reader: it checks that every file is there, that each row has exactly the fields the
export/converter scripts write (no missing ones, no unknown ones), the batch each row sits in,
and that activations are self-consistent. It exists so the job's output can be checked without
the database; the importer itself is lenient (unknown keys are ignored there).

No Django and no torch here: both the web side and the workers import it.
"""

from __future__ import annotations

import gzip
import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuronpedia_format.layout import (
    BATCH_SUFFIX,
    EXPLANATION_MODEL_TYPE_FILE,
    EXPLANATION_TYPE_FILE,
    MODEL_FILE,
    RELEASE_FILE,
    SOURCE_FILE,
    SOURCESET_FILE,
    batch_number_of_name,
    batch_of_feature,
    config_dir,
    source_dir,
)
from neuronpedia_format.sources import source_set_of


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Field sets written by Neuronpedia's export-data.py and its SAEDashboard converter.
MODEL_FIELDS = _names(
    "id instruct creatorId displayNameShort displayName tlensId dimension visibility "
    "defaultSourceSetName defaultSourceId inferenceEnabled layers neuronsPerLayer createdAt owner "
    "updatedAt website"
)
SOURCESET_FIELDS = _names(
    "modelId name creatorId hasDashboards visibility description type creatorName urls "
    "creatorEmail releaseName defaultOfModelId defaultRange defaultShowBreaks showDfa "
    "showCorrelated showHeadAttribution showUmap createdAt"
)
SOURCE_FIELDS = _names(
    "id modelId setName creatorId hasDashboards inferenceEnabled inferenceHosts saelensConfig "
    "saelensRelease saelensSaeId hfRepoId hfFolderId visibility defaultOfModelId hasUmap "
    "hasUmapLogSparsity hasUmapClusters num_prompts num_tokens_in_prompt dataset notes "
    "createdAt"
)
RELEASE_FIELDS = _names(
    "name description creatorName creatorId visibility isNewUi featured descriptionShort urls "
    "creatorEmail creatorNameShort defaultSourceSetName defaultSourceId defaultUmapSourceIds "
    "createdAt"
)
FEATURE_FIELDS = _names(
    "modelId layer index maxActApprox creatorId sourceSetName vector vectorLabel hookName "
    "vectorDefaultSteerStrength hasVector frac_nonzero freq_hist_data_bar_heights "
    "freq_hist_data_bar_values logits_hist_data_bar_heights logits_hist_data_bar_values "
    "neuron_alignment_indices neuron_alignment_l1 neuron_alignment_values "
    "correlated_neurons_indices correlated_neurons_l1 correlated_neurons_pearson "
    "decoder_weights_dist neg_str neg_values pos_str pos_values topkCosSimIndices "
    "topkCosSimValues"
)
# The converter adds these to feature rows.
FEATURE_EXTRA_FIELDS = _names(
    "createdAt correlated_features_indices correlated_features_l1 correlated_features_pearson"
)
ACTIVATION_FIELDS = _names(
    "id modelId layer index creatorId dataSource tokens maxValue minValue values "
    "maxValueTokenIndex dfaValues dfaMaxValue dfaTargetIndex binContains binMin binMax"
)
ACTIVATION_EXTRA_FIELDS = _names(
    "createdAt lossValues logitContributions qualifyingTokenIndex dataIndex zIndices zValues"
)
EXPLANATION_FIELDS = _names(
    "id modelId layer index authorId description embedding typeName explanationModelName "
    "umap_x umap_y umap_cluster umap_log_feature_sparsity"
)
EXPLANATION_TYPE_FIELDS = _names(
    "name displayName description featured isAttention settings url creatorName creatorId "
    "explainerModelSettingsId"
)
EXPLANATION_MODEL_TYPE_FIELDS = _names(
    "name displayName description featured openRouterModelId url creatorName"
)
CONFIG_EXTRA_FIELDS = frozenset({"createdAt", "updatedAt"})

_ARRAY_FIELDS = {
    "features": _names(
        "vector freq_hist_data_bar_heights freq_hist_data_bar_values logits_hist_data_bar_heights "
        "logits_hist_data_bar_values neuron_alignment_indices neuron_alignment_l1 "
        "neuron_alignment_values correlated_neurons_indices correlated_neurons_l1 "
        "correlated_neurons_pearson decoder_weights_dist neg_str neg_values pos_str pos_values "
        "topkCosSimIndices topkCosSimValues"
    ),
    "activations": _names("tokens values dfaValues"),
}


class ExportFormatError(ValueError):
    """The export breaks the format; the message names the file and the row."""


# --- writing ----------------------------------------------------------------------------------


# One encoder for every line: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dumps(row: dict[str, Any]) -> str:
    """One JSONL line; NaN/inf are refused (PostgreSQL and strict JSON readers reject them)."""
    return _ENCODER.encode(row)


def encode_jsonl(rows: Iterable[dict[str, Any]]) -> tuple[bytes, int]:
    """The JSONL text of `rows` (one line each), and how many there were."""
    lines = [dumps(row) for row in rows]
    return "".join(f"{line}\n" for line in lines).encode(), len(lines)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write rows to `path` (gzipped when it ends in .gz) atomically; returns the row count.

    The gzip header carries no name and no time, so the same rows give the same bytes (the demo
    pack's export is committed, and a rebuild that changes nothing must not show up as a diff).
    A crash leaves the previous file or none, never half of one.
    """
    data, count = encode_jsonl(rows)
    write_encoded(path, data)
    return count


def write_encoded(path: Path, data: bytes) -> None:
    """`write_jsonl` for text already encoded (deflate's output does not depend on how the
    input was split into writes, so the bytes are the same)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as raw:
        if path.name.endswith(".gz"):
            with _gzip_writer(raw) as out:
                out.write(data)
        else:
            raw.write(data)
    os.replace(tmp, path)


def _gzip_writer(raw: Any) -> gzip.GzipFile:
    """Every export's gzip settings: no name and no time in the header (the same rows give the
    same bytes), level 6 (a quarter of level 9's time for 5 % more bytes)."""
    return gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)


class BackgroundWriter:
    """Compresses and writes files on a thread while the caller builds the next rows.

    zlib releases the GIL, so on a second core compression costs the caller nothing. Lines are
    encoded in the caller (`write` returns the row count at once); at most `pending` files wait,
    which bounds memory. Leaving the `with` block waits for every file and raises the first
    error, if any.
    """

    def __init__(self, pending: int = 2) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(1, thread_name_prefix="export-writer")
        self._futures: list[Any] = []
        self._pending = pending

    def write(self, path: Path, rows: Iterable[dict[str, Any]]) -> int:
        data, count = encode_jsonl(rows)
        while len(self._futures) >= self._pending:
            self._futures.pop(0).result()
        self._futures.append(self._pool.submit(write_encoded, path, data))
        return count

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            for future in self._futures:
                future.result()
        finally:
            self._pool.shutdown(wait=True)


class JsonlStream:
    """One gzipped JSONL file written in chunks: each chunk is encoded in the caller and
    compressed on a thread while the caller builds the next, so a large file's compression
    does not wait until all of its rows exist. One chunk is in flight at a time (bounded
    memory); the bytes are those `write_jsonl` gives for the same rows. The file appears
    atomically when the `with` block ends without an error; after an error there is none.
    """

    def __init__(self, path: Path) -> None:
        from concurrent.futures import ThreadPoolExecutor

        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.count = 0
        self._tmp = path.with_name(f".{path.name}.tmp")
        self._raw = self._tmp.open("wb")
        self._out = _gzip_writer(self._raw)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="export-stream")
        self._in_flight: Any = None

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        data, count = encode_jsonl(rows)
        self.count += count
        if self._in_flight is not None:
            self._in_flight.result()
        self._in_flight = self._pool.submit(self._out.write, data)

    def __enter__(self) -> JsonlStream:
        return self

    def __exit__(self, error_type: object, *exc: object) -> None:
        try:
            if self._in_flight is not None:
                self._in_flight.result()
            self._out.close()
        finally:
            self._pool.shutdown(wait=True)
            self._raw.close()
            if error_type is None:
                os.replace(self._tmp, self.path)
            else:
                self._tmp.unlink(missing_ok=True)


def merge_config_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """Add or replace config rows by `name`, keeping rows other exports put in the same file."""
    existing = {r["name"]: r for r in read_jsonl(path)} if path.exists() else {}
    for row in rows:
        existing[row["name"]] = row
    write_jsonl(path, [existing[name] for name in sorted(existing)])


# --- reading ----------------------------------------------------------------------------------


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a .jsonl or .jsonl.gz file; blank lines are skipped."""

    def no_constants(name: str) -> Any:
        raise ExportFormatError(f"{path}: {name} is not valid JSON")

    opener: Any = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line, parse_constant=no_constants)
                except json.JSONDecodeError as exc:
                    message = f"{path}: line {number}: invalid JSON ({exc})"
                    raise ExportFormatError(message) from None
                if not isinstance(row, dict):
                    raise ExportFormatError(f"{path}: line {number}: not a JSON object")
                yield row
    except (OSError, EOFError) as exc:
        raise ExportFormatError(f"{path}: unreadable ({exc})") from None


@dataclass
class SourceExport:
    """Everything the export holds for one source, checked by `read_source_export`."""

    model: dict[str, Any]
    sourceset: dict[str, Any]
    source: dict[str, Any]
    release: dict[str, Any] | None
    features: list[dict[str, Any]] = field(default_factory=list)
    activations: list[dict[str, Any]] = field(default_factory=list)
    explanations: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def feature(self, index: int) -> dict[str, Any]:
        return next(f for f in self.features if f["index"] == str(index))

    def activations_of(self, index: int) -> list[dict[str, Any]]:
        return [a for a in self.activations if a["index"] == str(index)]

    def explanations_of(self, index: int) -> list[dict[str, Any]]:
        return [e for e in self.explanations if e["index"] == str(index)]


def read_source_export(root: str | Path, model_id: str, source_id: str) -> SourceExport:
    """Read one source's export from `root` (the folder holding `v1/`) and check it strictly.

    Raises ExportFormatError on the first problem, naming the file and what is wrong.
    """
    base = source_dir(root, model_id, source_id)
    if not base.is_dir():
        raise ExportFormatError(f"{base}: no export for {model_id}/{source_id}")
    model = _single(base / MODEL_FILE, MODEL_FIELDS, frozenset())
    sourceset = _single(base / SOURCESET_FILE, SOURCESET_FIELDS, frozenset())
    source = _single(base / SOURCE_FILE, SOURCE_FIELDS, frozenset())
    release = None
    if (base / RELEASE_FILE).exists():
        release = _single(base / RELEASE_FILE, RELEASE_FIELDS, frozenset())
    set_name = source_set_of(source_id)
    _expect(base / MODEL_FILE, model["id"] == model_id, f"id is {model['id']!r}, not {model_id!r}")
    _expect(
        base / SOURCESET_FILE,
        (sourceset["modelId"], sourceset["name"]) == (model_id, set_name),
        f"names {sourceset['modelId']}/{sourceset['name']}, not {model_id}/{set_name}",
    )
    _expect(
        base / SOURCE_FILE,
        (source["modelId"], source["id"], source["setName"]) == (model_id, source_id, set_name),
        f"names {source['modelId']}/{source['id']} in set {source['setName']!r}",
    )
    if release is not None:
        _expect(
            base / SOURCESET_FILE,
            sourceset["releaseName"] == release["name"],
            f"releaseName {sourceset['releaseName']!r} is not the release {release['name']!r}",
        )

    export = SourceExport(model, sourceset, source, release)
    export.config = read_config(root)
    key = {"modelId": model_id, "layer": source_id}
    export.features = _batches(base, "features", FEATURE_FIELDS, FEATURE_EXTRA_FIELDS, key)
    indices = [f["index"] for f in export.features]
    if len(set(indices)) != len(indices):
        raise ExportFormatError(f"{base}/features: a feature index appears twice")
    known = set(indices)
    for folder, required, extra in (
        ("activations", ACTIVATION_FIELDS, ACTIVATION_EXTRA_FIELDS),
        ("explanations", EXPLANATION_FIELDS, frozenset()),
    ):
        rows = _batches(base, folder, required, extra, key)
        ids = [r["id"] for r in rows]
        if len(set(ids)) != len(ids):
            raise ExportFormatError(f"{base}/{folder}: a row id appears twice")
        if stray := sorted({r["index"] for r in rows} - known, key=int):
            raise ExportFormatError(f"{base}/{folder}: rows of missing features {stray[:5]}")
        setattr(export, folder, rows)
    for row in export.activations:
        _check_activation(base, row)
    types = {r["name"] for r in export.config.get(EXPLANATION_TYPE_FILE, [])}
    models = {r["name"] for r in export.config.get(EXPLANATION_MODEL_TYPE_FILE, [])}
    for row in export.explanations:
        if row["typeName"] is not None and row["typeName"] not in types:
            raise ExportFormatError(f"explanation {row['id']}: unknown typeName {row['typeName']}")
        name = row["explanationModelName"]
        if name is not None and name not in models:
            raise ExportFormatError(f"explanation {row['id']}: unknown explanationModelName {name}")
    return export


def read_config(root: str | Path) -> dict[str, list[dict[str, Any]]]:
    """The config files present under `v1/config/`, by file name (checked field sets)."""
    folder = config_dir(root)
    checks = {
        EXPLANATION_TYPE_FILE: EXPLANATION_TYPE_FIELDS,
        EXPLANATION_MODEL_TYPE_FILE: EXPLANATION_MODEL_TYPE_FIELDS,
    }
    out: dict[str, list[dict[str, Any]]] = {}
    for name, fields in checks.items():
        path = folder / name
        if path.exists():
            rows = list(read_jsonl(path))
            for number, row in enumerate(rows, 1):
                _check_fields(path, number, row, fields, CONFIG_EXTRA_FIELDS)
            out[name] = rows
    return out


def _single(path: Path, required: frozenset[str], extra: frozenset[str]) -> dict[str, Any]:
    if not path.exists():
        raise ExportFormatError(f"{path}: missing")
    rows = list(read_jsonl(path))
    if len(rows) != 1:
        raise ExportFormatError(f"{path}: expected one row, found {len(rows)}")
    _check_fields(path, 1, rows[0], required, extra)
    return rows[0]


def _batches(
    base: Path,
    folder: str,
    required: frozenset[str],
    extra: frozenset[str],
    key: dict[str, str],
) -> list[dict[str, Any]]:
    directory = base / folder
    if not directory.is_dir():
        raise ExportFormatError(f"{directory}: missing")
    rows: list[dict[str, Any]] = []
    for path in sorted(directory.iterdir()):
        if path.is_dir():
            continue  # Neuronpedia lists the top level only
        number = batch_number_of_name(path.name)
        if number is None:
            raise ExportFormatError(f"{path}: not a batch-N{BATCH_SUFFIX} file")
        for line, row in enumerate(read_jsonl(path), 1):
            _check_fields(path, line, row, required, extra)
            for name, value in key.items():
                if row[name] != value:
                    raise ExportFormatError(f"{path}: line {line}: {name} is {row[name]!r}")
            index = row["index"]
            where = f"{path}: line {line}"
            if not isinstance(index, str) or not index.isdigit():
                raise ExportFormatError(f"{where}: index {index!r} is not a digit string")
            if batch_of_feature(int(index)) != number:
                raise ExportFormatError(f"{where}: feature {index} is not in batch {number}")
            for name in _ARRAY_FIELDS.get(folder, ()):
                if name in row and not isinstance(row[name], list):
                    raise ExportFormatError(f"{path}: line {line}: {name} is not a list")
            rows.append(row)
    return rows


def _check_fields(
    path: Path, line: int, row: dict[str, Any], required: frozenset[str], extra: frozenset[str]
) -> None:
    keys = set(row)
    if missing := sorted(required - keys):
        raise ExportFormatError(f"{path}: line {line}: missing fields {', '.join(missing)}")
    if unknown := sorted(keys - required - extra):
        raise ExportFormatError(f"{path}: line {line}: unknown fields {', '.join(unknown)}")
    for name, value in row.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ExportFormatError(f"{path}: line {line}: {name} is not finite")


def _check_activation(base: Path, row: dict[str, Any]) -> None:
    where = f"{base}/activations: activation {row['id']}"
    tokens, values = row["tokens"], row["values"]
    if not tokens or len(tokens) != len(values):
        raise ExportFormatError(f"{where}: {len(tokens)} tokens but {len(values)} values")
    if not all(isinstance(t, str) for t in tokens):
        raise ExportFormatError(f"{where}: tokens must be strings")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise ExportFormatError(f"{where}: values must be numbers")
    top = row["maxValueTokenIndex"]
    if not isinstance(top, int) or not 0 <= top < len(values) or values[top] != max(values):
        raise ExportFormatError(f"{where}: maxValueTokenIndex {top} is not the max value")
    if row["maxValue"] != max(values) or row["minValue"] != min(values):
        raise ExportFormatError(f"{where}: maxValue/minValue do not match values")


def _expect(path: Path, condition: bool, message: str) -> None:
    if not condition:
        raise ExportFormatError(f"{path}: {message}")
