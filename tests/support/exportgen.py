"""Writes small Neuronpedia dataset exports in the exact bucket format, with the edge cases.

`write_export(root)` lays out `config/*.jsonl` and `{model}/{source}/...` under `root` (a
directory; `upload(root, s3, bucket, prefix)` copies it into S3) and returns an `Export`
holding every row it wrote, so tests compare the database with what the files say.
Edge cases on purpose: `\\u0000` inside tokens, quotes, backslashes, tabs, newlines, braces
and a "NULL" string in token arrays, integers and exponents among float values, `zIndices`,
pgvector text embeddings, keys that are not columns, rows without `createdAt` or `id`, and an
`activations/old/` subfolder whose (broken) contents must never be read.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BOT = "clkht01d40000jv08hvalcvly"
MODEL_ID = "gpt2-small"
TRICKY_TOKENS = [
    "a\x00b",  # becomes "a b" (Neuronpedia's \u0000 rule)
    ' "quoted"',
    "back\\slash",
    "tab\there",
    "new\nline",
    "{brace}",
    "a,b",
    "NULL",
    "",
    " über 日本",
    "\\u0000 literal",  # an escaped backslash before u0000: kept as text
]


@dataclass
class Export:
    model_id: str
    sources: list[str]
    rows: dict[str, dict[str, list[dict[str, Any]]]] = field(
        default_factory=dict
    )  # source -> table -> rows
    config: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def table_rows(self, source_id: str, table: str) -> list[dict[str, Any]]:
        return self.rows[source_id][table]


def cuid(kind: str, *parts: Any) -> str:
    """A 25-character id, unique per (kind, parts)."""
    digest = hashlib.sha1(repr(parts).encode()).hexdigest()
    return ("c" + kind + digest)[:25]


def write_jsonl(path: Path, rows: list[dict[str, Any]], gz: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    if gz:
        # mtime=0: the same rows give the same bytes (and ETag) every time
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)


def config_rows() -> dict[str, list[dict[str, Any]]]:
    return {
        "explanation_model_type.jsonl": [
            {"name": "gpt-4o-mini", "displayName": "GPT-4o mini", "description": "",
             "featured": True, "url": None, "creatorName": "OpenAI",
             "createdAt": "2024-06-01T00:00:00.000Z", "updatedAt": "2024-06-01T00:00:00.000Z"},
        ],
        "explanation_type.jsonl": [
            {"name": "oai_token-act-pair", "displayName": "OpenAI token/act pairs",
             "description": "Bills et al.", "featured": True, "isAttention": False,
             "settings": None, "url": None, "creatorName": "OpenAI", "creatorId": BOT,
             "createdAt": "2024-06-01T00:00:00.000Z", "updatedAt": "2024-06-01T00:00:00.000Z",
             "someFutureColumn": {"ignored": True}},
            {"name": "np_max-act", "displayName": "Max activations", "description": "",
             "featured": False, "isAttention": False, "creatorName": "Neuronpedia",
             "creatorId": BOT},
        ],
        "explanation_score_model.jsonl": [
            {"name": "gpt-4o-mini", "displayName": "GPT-4o mini", "description": "",
             "featured": False, "creatorName": "OpenAI"},
        ],
        "explanation_score_type.jsonl": [
            {"name": "eleuther_fuzz", "displayName": "Fuzz", "description": "",
             "featured": False, "isAttention": False, "creatorName": "EleutherAI",
             "creatorId": BOT},
        ],
        "eval_type.jsonl": [
            {"name": "sae_bench", "displayName": "SAE Bench", "description": "",
             "longerDescription": "", "outputSchema": {"type": "object", "scale": 0.5},
             "featured": False, "url": None},
        ],
    }  # fmt: skip


def feature_row(model_id: str, source_id: str, set_name: str, index: int) -> dict[str, Any]:
    return {
        "modelId": model_id,
        "layer": source_id,
        "index": str(index),
        "maxActApprox": 1.5 + index,
        "creatorId": BOT,
        "sourceSetName": set_name,
        "vector": [],
        "vectorLabel": None,
        "hookName": None,
        "vectorDefaultSteerStrength": 10,
        "hasVector": False,
        "frac_nonzero": 0.001 * (index + 1),
        "freq_hist_data_bar_heights": [1, 2, 3.5],
        "freq_hist_data_bar_values": [0.1, 0.2, 1e-05],
        "logits_hist_data_bar_heights": [],
        "logits_hist_data_bar_values": [],
        "neuron_alignment_indices": [index, 7],
        "neuron_alignment_l1": [0.5, 0.25],
        "neuron_alignment_values": [-0.5, 0.125],
        "correlated_neurons_indices": [],
        "correlated_neurons_l1": [],
        "correlated_neurons_pearson": [],
        "decoder_weights_dist": [],
        "neg_str": [" not", "\ttab", '"q"'],
        "neg_values": [-1.25, -0.5, -1e-3],
        "pos_str": [" yes", "back\\", "{x}"],
        "pos_values": [2.5, 1, 0],
        "topkCosSimIndices": [index + 1, index + 2],
        "topkCosSimValues": [0.9, 0.8],
        "unknownExportKey": "ignored",
    }


def activation_row(
    model_id: str, source_id: str, index: int, n: int, tokens: int, rng: random.Random
) -> dict[str, Any]:
    toks = [rng.choice([" the", " cat", ".", " of"]) for _ in range(tokens)]
    shift = (index + n) % len(TRICKY_TOKENS)
    tricky = TRICKY_TOKENS[shift:] + TRICKY_TOKENS[:shift]
    toks[1 : 1 + len(tricky)] = tricky[: tokens - 1]
    values = [0 if rng.random() < 0.4 else round(rng.random() * 10, 5) for _ in range(tokens)]
    values[0] = 1.5e-05
    top = max(range(tokens), key=values.__getitem__)
    row: dict[str, Any] = {
        "id": cuid("a", source_id, index, n),
        "modelId": model_id,
        "layer": source_id,
        "index": str(index),
        "creatorId": BOT,
        "dataSource": "monology/pile",
        "tokens": toks,
        "maxValue": values[top],
        "minValue": min(values),
        "values": values,
        "maxValueTokenIndex": top,
        "dfaValues": [],
        "dfaMaxValue": None,
        "dfaTargetIndex": None,
        "binContains": None,
        "binMin": 0.5 if n == 0 else None,
        "binMax": 1.0 if n == 0 else None,
    }
    if n == 1:
        row["zIndices"] = [[1, 2], [3, 4, 5]]  # [[k...], [q...]]
        row["zValues"] = [0.25, -0.5]
    if n == 2:
        row["qualifyingTokenIndex"] = 3
        row["dataIndex"] = "12345"
        row["logitContributions"] = json.dumps({"pos": [1.0], "neg": []})
        row["lossValues"] = [0.5] * tokens
        row["createdAt"] = "2024-01-02T03:04:05.678Z"
        row["dfaValues"] = None  # null in a NOT NULL array column: the default ([])
    return row


def embedding_text(index: int) -> str:
    rng = random.Random(index)
    return "[" + ",".join(f"{rng.uniform(-1, 1):.6f}" for _ in range(256)) + "]"


def explanation_row(model_id: str, source_id: str, index: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": cuid("e", source_id, index),
        "modelId": model_id,
        "layer": source_id,
        "index": str(index),
        "authorId": BOT,
        "description": f'mentions of "cats" #{index}\tand \\paths',
        "embedding": embedding_text(index) if index % 2 == 0 else None,
        "typeName": "oai_token-act-pair",
        "explanationModelName": "gpt-4o-mini",
        "umap_x": None,
        "umap_y": None,
        "umap_cluster": None,
        "umap_log_feature_sparsity": None,
        "scoreV1": 0.25,
    }
    if index == 1:
        del row["id"]  # an id is derived from the row's text
    return row


def write_export(
    root: Path,
    model_id: str = MODEL_ID,
    sources: tuple[str, ...] = ("6-res-jb",),
    features: int = 6,
    batch_size: int = 4,
    activations_per_feature: int = 3,
    tokens: int = 12,
    release: bool = True,
) -> Export:
    """Write a full export (config + sources) under `root`; returns what was written."""
    export = Export(model_id, list(sources), config=config_rows())
    for name, rows in export.config.items():
        write_jsonl(root / "config" / name, rows, gz=False)
    rng = random.Random(0)
    for source_id in sources:
        set_name = source_id.split("-", 1)[1].split("__")[0]
        base = root / model_id / source_id
        tables: dict[str, list[dict[str, Any]]] = {}
        export.rows[source_id] = tables
        tables["SourceRelease"] = [
            {"name": "test-release", "description": "A release", "creatorName": "Tests",
             "creatorId": BOT, "visibility": "PUBLIC", "isNewUi": False, "featured": False,
             "descriptionShort": None, "urls": ["https://example.com/r"], "creatorEmail": None,
             "creatorNameShort": None, "defaultSourceSetName": set_name,
             "defaultSourceId": source_id, "defaultUmapSourceIds": [],
             "createdAt": "2024-01-01T00:00:00.000Z"}
        ] if release else []  # fmt: skip
        tables["Model"] = [
            {"id": model_id, "instruct": False, "creatorId": BOT, "displayNameShort": "GPT2-S",
             "displayName": "GPT-2 Small", "tlensId": "gpt2-small", "dimension": 768,
             "visibility": "PUBLIC", "defaultSourceSetName": set_name,
             "defaultSourceId": source_id, "inferenceEnabled": True, "layers": 12,
             "neuronsPerLayer": 3072, "createdAt": "2024-01-01T00:00:00.000Z", "owner": "OpenAI",
             "updatedAt": "2024-01-01T00:00:00.000Z", "website": "https://openai.com"}
        ]  # fmt: skip
        tables["SourceSet"] = [
            {"modelId": model_id, "name": set_name, "creatorId": BOT, "hasDashboards": True,
             "visibility": "PUBLIC", "description": "Residual stream SAEs", "type": "sae",
             "creatorName": "Joseph Bloom", "urls": None, "creatorEmail": None,
             "releaseName": "test-release" if release else None, "defaultOfModelId": None,
             "defaultRange": 1, "defaultShowBreaks": True, "showDfa": False,
             "showCorrelated": False, "showHeadAttribution": False, "showUmap": False,
             "createdAt": "2024-01-01T00:00:00.000Z"}
        ]  # fmt: skip
        tables["Source"] = [
            {"id": source_id, "modelId": model_id, "setName": set_name, "creatorId": BOT,
             "hasDashboards": True, "inferenceEnabled": True, "inferenceHosts": [],
             "saelensConfig": {"d_sae": 24576, "hook_name": "blocks.6.hook_resid_pre",
                               "scale": 1.5},
             "saelensRelease": "gpt2-small-res-jb", "saelensSaeId": "blocks.6.hook_resid_pre",
             "hfRepoId": None, "hfFolderId": None, "visibility": "PUBLIC",
             "defaultOfModelId": None, "hasUmap": False, "hasUmapLogSparsity": False,
             "hasUmapClusters": False, "num_prompts": 24576, "num_tokens_in_prompt": 128,
             "dataset": "Skylion007/openwebtext", "notes": None,
             "createdAt": "2024-01-01T00:00:00.000Z"}
        ]  # fmt: skip
        meta = {
            "release.jsonl": "SourceRelease",
            "model.jsonl": "Model",
            "sourceset.jsonl": "SourceSet",
            "source.jsonl": "Source",
        }
        for name, table in meta.items():
            if tables[table]:
                write_jsonl(base / name, tables[table], gz=False)
        tables["Neuron"] = [feature_row(model_id, source_id, set_name, i) for i in range(features)]
        tables["Activation"] = [
            activation_row(model_id, source_id, i, n, tokens, rng)
            for i in range(features)
            for n in range(activations_per_feature)
        ]
        tables["Explanation"] = [explanation_row(model_id, source_id, i) for i in range(features)]
        for folder, table, key in (
            ("features", "Neuron", "index"),
            ("activations", "Activation", "index"),
            ("explanations", "Explanation", "index"),
        ):
            # batch N holds features N*batch_size .. (N+1)*batch_size-1, as in real exports
            for batch in range((features + batch_size - 1) // batch_size):
                lo, hi = batch * batch_size, (batch + 1) * batch_size
                rows = [r for r in tables[table] if lo <= int(r[key]) < hi]
                write_jsonl(base / folder / f"batch-{batch}.jsonl.gz", rows, gz=True)
        # A subfolder the import must ignore (listing is not recursive): not even gzip.
        old = base / "activations" / "old" / "batch-0.jsonl.gz"
        old.parent.mkdir(parents=True, exist_ok=True)
        old.write_bytes(b"this is not gzip and must never be read")
    return export


def upload(root: Path, client: Any, bucket: str, prefix: str = "v1") -> None:
    """Copy an export tree into S3 under `prefix/`."""
    for path in sorted(root.rglob("*")):
        if path.is_file():
            key = "/".join(p for p in (prefix, path.relative_to(root).as_posix()) if p)
            # public-read, like the public bucket: the importer reads unsigned
            client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ACL="public-read")
