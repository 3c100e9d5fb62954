"""The demo pack's dashboards: `generate_dashboards` over the demo corpus for the demo SAEs and
the per-layer transcoders (`{layer}-tc-demo`, so graph nodes open real feature pages).

The export is committed under `demo_pack/demo-lm/export/` (the layout of the Neuronpedia bucket),
so `load_demo` needs no torch and `make run` shows dashboards at once. Rows carry a fixed
`createdAt` and gzip headers carry no time, so rebuilding from the same weights gives the same
bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neuronpedia_format.demo_pack import (
    EXPORT_SUBDIR,
    MODEL_SUBDIR,
    SAES_SUBDIR,
    TRANSCODERS_SUBDIR,
)
from workers.dashboards import DashboardConfig, DashboardResult, generate_dashboards
from workers.demo.pack import load_manifest

# A corpus seed the model's training (0), its feature ranking and the tests never used.
DASHBOARD_CORPUS_SEED = 7
DASHBOARD_DOCS = 20_000
CREATED_AT = "2026-01-01T00:00:00.000Z"
RELEASE_NAME = "demo-pack"
DEFAULT_SOURCE = "1-res-demo"


def demo_dashboard_config(pack: Path, source: str, **overrides: Any) -> DashboardConfig:
    """The job settings of one demo source (`pack` is the `demo_pack/demo-lm` directory)."""
    manifest = load_manifest(pack)
    transcoders = {t["id"]: t for t in manifest.get("transcoders", [])}
    if source in transcoders:
        sae_dir = pack / transcoders[source]["path"]
        set_description = (
            f"Per-layer ReLU transcoders, resid_mid -> mlp_out "
            f"({transcoders[source]['d_sae']} features)"
        )
    else:
        sae_dir = pack / SAES_SUBDIR / source
        set_description = (
            f"Residual stream TopK SAEs ({manifest['d_sae']} features, "
            f"k={manifest['sources'][0]['k']})"
        )
    settings: dict[str, Any] = {
        "source": source,
        "out": str(pack / EXPORT_SUBDIR),
        "sae_dir": str(sae_dir),
        "model_dir": str(pack / MODEL_SUBDIR),
        "model_id": manifest["model_id"],
        "corpus": "demo",
        "corpus_seed": DASHBOARD_CORPUS_SEED,
        "max_docs": DASHBOARD_DOCS,
        "created_at": CREATED_AT,
        "model_display_name": manifest["display_name"],
        "default_source_id": DEFAULT_SOURCE,
        "set_description": set_description,
        "creator_name": "Demo pack",
        "release_name": RELEASE_NAME,
        "release_description": (
            "Bundled demo: a tiny LM and SAEs trained offline on a synthetic corpus"
        ),
        "lexicon": "demo-topics",
        "device": "cpu",
    }
    return DashboardConfig(**{**settings, **overrides})


def build_demo_dashboards(
    pack: str | Path, force: bool = True, progress: bool = True, transcoders_only: bool = False
) -> list[DashboardResult]:
    """Generate the export of every source and transcoder in the pack's manifest (only the
    transcoders with `transcoders_only`), sharing one loaded model."""
    from workers.runtime import RuntimeConfig, ServedModel

    pack = Path(pack)
    manifest = load_manifest(pack)
    served = ServedModel(
        RuntimeConfig(
            model_id=manifest["model_id"],
            model_dir=str(pack / MODEL_SUBDIR),
            sae_dirs=str(pack / SAES_SUBDIR),
            transcoder_dirs=str(pack / TRANSCODERS_SUBDIR),
            device="cpu",
        )
    )
    transcoders = [t["id"] for t in manifest.get("transcoders", [])]
    saes = [] if transcoders_only else [s["id"] for s in manifest["sources"]]
    return [
        generate_dashboards(
            demo_dashboard_config(pack, source, force=force), served=served, progress=progress
        )
        for source in saes + transcoders
    ]
