"""The demo pack's per-layer transcoders: `{layer}-tc-demo`, source set `tc-demo`.

Each reads `blocks.L.hook_resid_mid` and predicts `blocks.L.hook_mlp_out` of the demo model,
trained on the demo corpus (the model's own training seed), and is saved as sae-lens saves a
`Transcoder` under `demo-lm/transcoders/{source}/`. The manifest lists them under
`"transcoders"` (the `"sources"` list stays the SAEs).
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from neuronpedia_format.demo_pack import (
    DEMO_MODEL_ID,
    MANIFEST_FILENAME,
    MODEL_SUBDIR,
    TRANSCODERS_SUBDIR,
)
from workers.graphs.transcoders import (
    TranscoderTraining,
    input_hook,
    new_transcoder,
    output_hook,
    train_transcoder,
)

logger = logging.getLogger(__name__)

SOURCE_SET = "tc-demo"
QUICK = TranscoderTraining(steps=10, batch_size=256, n_tokens=4096)


def transcoder_source_id(layer: int) -> str:
    return f"{layer}-{SOURCE_SET}"


def _metadata(layer: int, n_ctx: int) -> dict[str, Any]:
    return {
        "model_name": DEMO_MODEL_ID,
        "hook_name": input_hook(layer),
        "hook_name_out": output_hook(layer),
        "hook_head_index": None,
        "prepend_bos": True,
        "context_size": n_ctx,
        "neuronpedia_id": f"{DEMO_MODEL_ID}/{transcoder_source_id(layer)}",
    }


def build_demo_transcoders(
    root: str | Path, seed: int, corpus_seed: int, n_docs: int, quick: bool = False
) -> list[dict[str, Any]]:
    """Train one transcoder per layer of the model in `root` (`demo_pack/demo-lm`), replacing
    `root/transcoders/`; returns the manifest entries."""
    import torch

    from workers.demo.corpus import generate_corpus
    from workers.demo.train import collect_activations, deterministic, pack_rows
    from workers.model_dir import load_model_dir

    root = Path(root)
    cfg = QUICK if quick else TranscoderTraining()
    model = load_model_dir(root / MODEL_SUBDIR)
    n_ctx = int(model.cfg.n_ctx)
    docs = generate_corpus(corpus_seed, n_docs, chat_fraction=0.15)
    tokens, _ = pack_rows(docs, model.tokenizer, n_ctx)
    layers = list(range(int(model.cfg.n_layers)))
    hooks = [h for layer in layers for h in (input_hook(layer), output_hook(layer))]
    acts = collect_activations(model, tokens, hooks, cfg.n_tokens)
    out_dir = root / TRANSCODERS_SUBDIR
    if out_dir.exists():
        shutil.rmtree(out_dir)
    entries = []
    for layer in layers:
        sid = transcoder_source_id(layer)
        with deterministic(seed + 101 + layer):
            tc = new_transcoder(int(model.cfg.d_model), cfg, _metadata(layer, n_ctx))
            stats = train_transcoder(
                tc, acts[input_hook(layer)], acts[output_hook(layer)], cfg, seed + 101 + layer
            )
        tc.eval()
        with torch.no_grad():
            tc.save_model(str(out_dir / sid))
        logger.info("demo transcoder trained source=%s %s", sid, stats)
        entries.append(
            {
                "id": sid,
                "layer": layer,
                "hook_name": input_hook(layer),
                "hook_name_out": output_hook(layer),
                "path": f"{TRANSCODERS_SUBDIR}/{sid}",
                "neuronpedia_id": f"{DEMO_MODEL_ID}/{sid}",
                "architecture": "transcoder",
                "d_sae": cfg.d_sae,
                **{key: round(value, 4) for key, value in stats.items()},
            }
        )
    return entries


def add_transcoders_to_pack(root: str | Path, quick: bool = False) -> dict[str, Any]:
    """Train the transcoders of an existing pack and record them in its manifest (the model and
    SAEs stay as they are); returns the manifest."""
    root = Path(root)
    manifest: dict[str, Any] = json.loads((root / MANIFEST_FILENAME).read_text())
    manifest["transcoders"] = build_demo_transcoders(
        root,
        seed=int(manifest["training"]["seed"]),
        corpus_seed=int(manifest["corpus"]["seed"]),
        n_docs=int(manifest["corpus"]["n_docs"]),
        quick=quick,
    )
    (root / MANIFEST_FILENAME).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
