"""The layout of the bundled demo pack (`demo_pack/demo-lm/`), which `build_demo_model` writes,
`load_demo` imports and a worker serves:

```
manifest.json            the model, its sources and how they were trained
model/                   the model directory (workers.model_dir)
saes/{sourceId}/         one SAE per source, as `SAE.save_model` writes it
transcoders/{sourceId}/  one per-layer transcoder per layer (`{layer}-tc-demo`), same files
export/v1/...            the sources' dashboards as a Neuronpedia export (layout)
```
"""

from __future__ import annotations

from pathlib import Path

DEMO_MODEL_ID = "demo-lm"
MANIFEST_FILENAME = "manifest.json"
MODEL_SUBDIR = "model"
SAES_SUBDIR = "saes"
TRANSCODERS_SUBDIR = "transcoders"
EXPORT_SUBDIR = "export"


def demo_model_dir(pack_root: str | Path) -> Path:
    """`{pack_root}/demo-lm`, where `pack_root` is the setting DEMO_PACK_DIR."""
    return Path(pack_root) / DEMO_MODEL_ID
