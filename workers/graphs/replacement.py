"""circuit-tracer's replacement model for a served model that has transcoders.

`GraphModel` holds one `TransformerLensReplacementModel` (the model directory's weights, its
tokenizer, a `TranscoderSet` of the model's per-layer transcoders) plus what the tasks need to
know about it: the Neuronpedia model id (the graph's `scan`), the transcoders' source set
(`metadata.feature_details.neuronpedia_source_set`) and a lock, since hooks are model state and
two threads must never run it at once.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuronpedia_format.sources import layer_of, source_set_of
from workers.graphs.transcoders import load_transcoder_set
from workers.model_dir import load_parameters, load_tokenizer, read_config


@dataclass
class GraphModel:
    model: Any  # TransformerLensReplacementModel
    model_id: str
    source_set: str
    sources: dict[int, str]  # layer -> transcoder source id
    tokenizer_dir: str  # a local path, for circuit-tracer's tokenizer reloads
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def tokenizer(self) -> Any:
        return self.model.tokenizer


def graph_source_set(transcoder_dirs: Mapping[str, Path]) -> str:
    """The one source set of a model's transcoders (ValueError for none or several)."""
    sets = {source_set_of(source) for source in transcoder_dirs}
    if len(sets) != 1:
        raise ValueError(f"a model's transcoders form one source set, got {sorted(sets) or 'none'}")
    return sets.pop()


def _saved_name(key: str) -> str:
    # The replacement model wraps each MLP and the unembedding (ReplacementMLP/Unembed).
    parts = key.split(".")
    if len(parts) > 2 and parts[0] == "blocks" and parts[2] == "mlp":
        return ".".join([*parts[:3], "old_mlp", *parts[3:]])
    if parts[0] == "unembed":
        return ".".join(["unembed", "old_unembed", *parts[1:]])
    return key


def load_graph_model(
    model_dir: str | Path,
    transcoder_dirs: Mapping[str, Path],
    model_id: str,
    device: str = "cpu",
    dtype: str = "float32",
) -> GraphModel:
    """Build the replacement model from a model directory and its transcoders (source id ->
    directory, one per layer)."""
    from circuit_tracer.replacement_model.replacement_model_transformerlens import (
        TransformerLensReplacementModel,
    )

    source_set = graph_source_set(transcoder_dirs)
    transcoders = load_transcoder_set(transcoder_dirs, scan=model_id, device=device)
    model = TransformerLensReplacementModel.from_config(
        read_config(model_dir, device, dtype), transcoders, tokenizer=load_tokenizer(model_dir)
    )
    load_parameters(
        model, model_dir, device, dtype, rename=_saved_name, not_saved=("transcoders.",)
    )
    return GraphModel(
        model=model,
        model_id=model_id,
        source_set=source_set,
        sources={layer_of(s): s for s in transcoder_dirs},
        tokenizer_dir=str(Path(model_dir).resolve()),
    )
