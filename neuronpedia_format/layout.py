"""The layout of a Neuronpedia dataset export (`v1/` of the `neuronpedia-datasets` bucket):
which files there are, which table each one fills, and how feature batches are numbered.

```
v1/config/*.jsonl                       config tables, upserted by name
v1/{modelId}/{sourceId}/release.jsonl   optional, then model/sourceset/source.jsonl
v1/{modelId}/{sourceId}/features/batch-{N}.jsonl.gz       -> "Neuron"
v1/{modelId}/{sourceId}/activations/batch-{N}.jsonl.gz    -> "Activation" (top level only)
v1/{modelId}/{sourceId}/explanations/batch-{N}.jsonl.gz   -> "Explanation"
```
Batch N holds features N*1024 .. N*1024+1023 in all three folders. Every line is one JSON object
whose keys are the PostgreSQL column names.
"""

from __future__ import annotations

import re
from pathlib import Path

DATASET_VERSION = "v1"
CONFIG_DIR = "config"
FEATURES_PER_BATCH = 1024
BATCH_SUFFIX = ".jsonl.gz"

RELEASE_FILE = "release.jsonl"
MODEL_FILE = "model.jsonl"
SOURCESET_FILE = "sourceset.jsonl"
SOURCE_FILE = "source.jsonl"
EXPLANATION_TYPE_FILE = "explanation_type.jsonl"
EXPLANATION_MODEL_TYPE_FILE = "explanation_model_type.jsonl"

# Config tables, in the order Neuronpedia syncs them (types before the rows that name them).
CONFIG_FILES = {
    EXPLANATION_MODEL_TYPE_FILE: "ExplanationModelType",
    EXPLANATION_TYPE_FILE: "ExplanationType",
    "explanation_score_model.jsonl": "ExplanationScoreModel",
    "explanation_score_type.jsonl": "ExplanationScoreType",
    "eval_type.jsonl": "EvalType",
}
# Metadata of one source, in dependency order: file -> (table, required).
SOURCE_FILES = {
    RELEASE_FILE: ("SourceRelease", False),
    MODEL_FILE: ("Model", True),
    SOURCESET_FILE: ("SourceSet", True),
    SOURCE_FILE: ("Source", True),
    "inference_hosts.jsonl": ("InferenceHostSource", False),
    "inference_hosts_on_source.jsonl": ("InferenceHostSourceOnSource", False),
}
# Batch folders of one source and their tables, in load order.
BATCH_DIRS = {"features": "Neuron", "activations": "Activation", "explanations": "Explanation"}
BULK_TABLES = tuple(BATCH_DIRS.values())

_BATCH_NAME = re.compile(r"^batch-(\d+)\.jsonl\.gz$")
_BATCH_NUMBER_AT_END = re.compile(r"(\d+)\.jsonl(?:\.gz)?$")


def batch_of_feature(index: int) -> int:
    """The batch a feature's rows sit in."""
    return index // FEATURES_PER_BATCH


def batch_name(number: int) -> str:
    return f"batch-{number}{BATCH_SUFFIX}"


def batch_number_of_name(name: str) -> int | None:
    """`batch-3.jsonl.gz` -> 3; None for any other file name."""
    match = _BATCH_NAME.match(name)
    return int(match.group(1)) if match else None


def batch_number_of_path(path: str) -> int:
    """The number a batch path ends with (`.../batch-12.jsonl.gz` -> 12), -1 when there is none;
    lenient where `batch_number_of_name` is strict, for sorting what a bucket lists."""
    match = _BATCH_NUMBER_AT_END.search(path)
    return int(match.group(1)) if match else -1


def dataset_dir(root: str | Path) -> Path:
    """`{root}/v1`: the folder holding `config/` and the model folders."""
    return Path(root) / DATASET_VERSION


def source_dir(root: str | Path, model_id: str, source_id: str) -> Path:
    return dataset_dir(root) / model_id / source_id


def config_dir(root: str | Path) -> Path:
    return dataset_dir(root) / CONFIG_DIR
