"""Where the SAEs of Neuronpedia sources (`neuronpedia_format.sources`) come from.

Local SAEs live in `{root}/{source_id}/` as written by `SAE.save_model`; real models may instead
name SAEs of the sae-lens pretrained registry, whose entries carry the Neuronpedia id
`{model}/{source_id}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from neuronpedia_format.sources import has_layer, layer_of, source_set_of

SAE_CFG_FILENAME = "cfg.json"  # the names sae_lens.constants uses; repeated so no torch import
SAE_WEIGHTS_FILENAME = "sae_weights.safetensors"

_BLOCK_RE = re.compile(r"blocks\.(\d+)\.")


def hook_layer(hook_name: str) -> int | None:
    """Block index of a hook (`blocks.3.hook_resid_pre` -> 3); None outside the blocks."""
    match = _BLOCK_RE.match(hook_name)
    return int(match.group(1)) if match else None


def read_sae_cfg(sae_dir: str | Path) -> dict[str, Any]:
    """`hook_name` and `d_sae` of a saved SAE without loading its weights.

    Accepts the sae-lens 6.x layout (`metadata.hook_name`) and the flat pre-6.0 one (`hook_name` or
    `hook_point`).
    """
    cfg = json.loads((Path(sae_dir) / SAE_CFG_FILENAME).read_text())
    metadata = cfg.get("metadata") or {}
    hook_name = metadata.get("hook_name") or cfg.get("hook_name") or cfg.get("hook_point")
    return {"hook_name": hook_name, "d_sae": int(cfg["d_sae"]), "d_in": int(cfg["d_in"])}


def local_sae_dirs(sae_dirs: str | Path | dict[str, str] | None) -> dict[str, Path]:
    """Source id -> SAE directory, from an explicit mapping or a root of `{source_id}/` folders."""
    if not sae_dirs:
        return {}
    if isinstance(sae_dirs, dict):
        return {source: Path(path) for source, path in sae_dirs.items()}
    root = Path(sae_dirs)
    if not root.is_dir():
        return {}
    return {
        child.name: child
        for child in sorted(root.iterdir())
        if (child / SAE_CFG_FILENAME).is_file() and (child / SAE_WEIGHTS_FILENAME).is_file()
    }


def select_sources(
    source_ids: Iterable[str],
    sae_sets: list[str],
    include: list[str],
    exclude: list[str],
) -> list[str]:
    """Keep sources whose set is in `sae_sets` (all when empty), that match one `include` regex
    (all when empty) and no `exclude` regex; sorted by layer, then id."""
    kept = []
    for source in source_ids:
        if sae_sets and source_set_of(source) not in sae_sets:
            continue
        if include and not any(re.search(pattern, source) for pattern in include):
            continue
        if any(re.search(pattern, source) for pattern in exclude):
            continue
        kept.append(source)
    return sorted(kept, key=_layer_sort_key)


def _layer_sort_key(source: str) -> tuple[int, str]:
    """By layer; ids that do not start with a layer last."""
    return (layer_of(source) if has_layer(source) else 1 << 30, source)


@cache
def _neuronpedia_index() -> dict[str, tuple[str, str]]:
    """`{model}/{source_id}` -> (release, sae_id) over the whole sae-lens pretrained registry.

    `get_pretrained_saes_directory()` maps release -> PretrainedSAELookup whose `neuronpedia_id`
    dict maps each sae_id to its Neuronpedia id (or None). The yaml is large, so build this once.
    """
    from sae_lens.loading.pretrained_saes_directory import get_pretrained_saes_directory

    index: dict[str, tuple[str, str]] = {}
    for release, lookup in get_pretrained_saes_directory().items():
        for sae_id, neuronpedia_id in lookup.neuronpedia_id.items():
            # First release wins: several releases can re-export the same Neuronpedia SAE.
            if neuronpedia_id and neuronpedia_id not in index:
                index[neuronpedia_id] = (release, sae_id)
    return index


def resolve_pretrained(neuronpedia_model_id: str, source_id: str) -> tuple[str, str] | None:
    """(release, sae_id) for `gpt2-small` + `6-res-jb`, or None when the registry lacks it."""
    return _neuronpedia_index().get(f"{neuronpedia_model_id}/{source_id}")


def pretrained_sources(
    neuronpedia_model_id: str, sae_sets: list[str]
) -> dict[str, tuple[str, str]]:
    """Every registry SAE of `neuronpedia_model_id` whose source set is in `sae_sets`."""
    prefix = f"{neuronpedia_model_id}/"
    found = {}
    for neuronpedia_id, location in _neuronpedia_index().items():
        if not neuronpedia_id.startswith(prefix):
            continue
        source = neuronpedia_id[len(prefix) :]
        if source_set_of(source) in sae_sets:
            found[source] = location
    return found
