"""The bundled demo model served from its directory, and one small dashboards run over it that
the dashboards, export-format and importer tests check (a pytest plugin: tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

PACK = Path(__file__).resolve().parents[2] / "demo_pack" / "demo-lm"
SMALL_CORPUS_SEED = 11  # not the training (0), dashboard (7) or held-out seeds
SMALL_CORPUS_DOCS = 240
SOURCE = "1-res-demo"
CREATED_AT = "2026-02-03T04:05:06.000Z"


def d_sae(source: str) -> int:
    """How many features the pack's SAE `source` has (its never-firing ones were dropped)."""
    return int(json.loads((PACK / "saes" / source / "cfg.json").read_text())["d_sae"])


@pytest.fixture(scope="session")
def demo_served() -> Any:
    """The demo pack served exactly as a worker serves a local model directory."""
    from workers.runtime import RuntimeConfig, ServedModel

    return ServedModel(
        RuntimeConfig(
            model_id="demo-lm",
            model_dir=str(PACK / "model"),
            sae_dirs=str(PACK / "saes"),
            device="cpu",
        )
    )


def small_config(out: Path, **overrides: Any) -> Any:
    from workers.dashboards import DashboardConfig

    settings: dict[str, Any] = {
        "source": SOURCE,
        "out": str(out),
        "sae_dir": str(PACK / "saes" / SOURCE),
        "model_dir": str(PACK / "model"),
        "corpus": "demo",
        "corpus_seed": SMALL_CORPUS_SEED,
        "max_docs": SMALL_CORPUS_DOCS,
        "created_at": CREATED_AT,
        "device": "cpu",
        "lexicon": "demo-topics",
    }
    return DashboardConfig(**{**settings, **overrides})


@pytest.fixture(scope="session")
def small_export(tmp_path_factory: pytest.TempPathFactory, demo_served: Any) -> tuple[Any, Any]:
    """(config, result) of dashboards for 1-res-demo over 240 demo documents."""
    from workers.dashboards import generate_dashboards

    config = small_config(tmp_path_factory.mktemp("small-export"))
    return config, generate_dashboards(config, served=demo_served, progress=False)


def topic_feature(topic: str, source: str = SOURCE) -> int:
    """The index of the pack's `topic` feature in `source` (from its manifest, so the tests
    follow a rebuilt pack)."""
    manifest = json.loads((PACK / "manifest.json").read_text())
    return int(manifest["topic_features"][topic]["features"][source])
