"""Reading an export location by its layout (`neuronpedia_format.layout`): list its models and
sources, and plan the files of one source import. It never touches the database."""

from __future__ import annotations

from dataclasses import dataclass

from importer.locations import ExportReader, FileInfo, LocationError, join
from neuronpedia_format.layout import (
    BATCH_DIRS,
    BATCH_SUFFIX,
    CONFIG_DIR,
    CONFIG_FILES,
    DATASET_VERSION,
    SOURCE_FILES,
    batch_number_of_path,
)
from neuronpedia_format.sources import layer_of, source_set_of

EXPLANATIONS_CHOICES = ("true", "only", "false")


@dataclass(frozen=True)
class PlannedFile:
    path: str
    table: str
    size: int
    etag: str


@dataclass(frozen=True)
class SourceEntry:
    source_id: str
    set_name: str
    layer: int


def dataset_root(reader: ExportReader) -> str:
    """The folder holding `config/` and the model folders: the root, or its `v1/`."""
    listing = reader.list_dir("")
    if DATASET_VERSION in listing.dirs and CONFIG_DIR not in listing.dirs:
        return DATASET_VERSION
    return ""


def list_models(reader: ExportReader, root: str) -> list[str]:
    return sorted(d for d in reader.list_dir(root).dirs if d != CONFIG_DIR)


def list_sources(reader: ExportReader, root: str, model_id: str) -> list[SourceEntry]:
    entries = [
        SourceEntry(source_id, source_set_of(source_id), layer_of(source_id))
        for source_id in reader.list_dir(join(root, model_id)).dirs
    ]
    return sorted(entries, key=lambda e: (e.set_name, e.layer, e.source_id))


def group_by_set(entries: list[SourceEntry]) -> dict[str, list[SourceEntry]]:
    """Sources grouped by source set (sets by name), each set sorted by layer."""
    groups: dict[str, list[SourceEntry]] = {}
    for entry in sorted(entries, key=lambda e: (e.set_name, e.layer, e.source_id)):
        groups.setdefault(entry.set_name, []).append(entry)
    return groups


def plan_config(reader: ExportReader, root: str) -> list[PlannedFile]:
    present = {f.path.rsplit("/", 1)[-1]: f for f in reader.list_dir(join(root, CONFIG_DIR)).files}
    return [
        _planned(present[name], table) for name, table in CONFIG_FILES.items() if name in present
    ]


def plan_source(
    reader: ExportReader,
    root: str,
    model_id: str,
    source_id: str,
    explanations: str = "true",
    explanation_batch_start: int = 0,
) -> list[PlannedFile]:
    """Every file of one source import, in the order they must be loaded.

    1. config/*.jsonl (Neuronpedia syncs config before every import);
    2. unless explanations=only: release, model, sourceset, source, inference hosts, then
       features/ and activations/ batches (top level only: `activations/old/` is ignored);
    3. unless explanations=false: explanations/ batches from `explanation_batch_start` on.
    Batches are ordered by their number, so batch-10 comes after batch-9.
    """
    if explanations not in EXPLANATIONS_CHOICES:
        raise ValueError(f"explanations must be one of {', '.join(EXPLANATIONS_CHOICES)}")
    base = join(root, model_id, source_id)
    top = reader.list_dir(base)
    if not top.files and not top.dirs:
        raise LocationError(f"{reader.location}: no export at {base}/.")
    plan = plan_config(reader, root)
    present = {f.path.rsplit("/", 1)[-1]: f for f in top.files}
    if explanations != "only":
        for name, (table, required) in SOURCE_FILES.items():
            if name in present:
                plan.append(_planned(present[name], table))
            elif required:
                raise LocationError(f"{reader.location}: {join(base, name)} is missing.")
    dirs = [d for d in ("features", "activations") if explanations != "only"]
    if explanations != "false":
        dirs.append("explanations")
    for folder in dirs:
        if folder not in top.dirs:
            continue
        batches = [
            f for f in reader.list_dir(join(base, folder)).files if f.path.endswith(BATCH_SUFFIX)
        ]
        batches.sort(key=lambda f: (batch_number_of_path(f.path), f.path))
        if folder == "explanations":
            batches = [
                f for f in batches if batch_number_of_path(f.path) >= explanation_batch_start
            ]
        plan.extend(_planned(f, BATCH_DIRS[folder]) for f in batches)
    return plan


def _planned(info: FileInfo, table: str) -> PlannedFile:
    return PlannedFile(info.path, table, info.size, info.etag)
