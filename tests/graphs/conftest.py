"""Graph tests: a public model with a transcoder set, graphs stored in a per-test directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.graphs import GRAPH_MODEL


@pytest.fixture(autouse=True)
def graph_dir(settings: Any, tmp_path: Path) -> Path:
    settings.GRAPH_LOCAL_DIR = tmp_path / "graphs"
    settings.GRAPH_S3_BUCKET = ""
    return settings.GRAPH_LOCAL_DIR


@pytest.fixture
def graph_model(db: None) -> Any:
    from tests.support.factories import make_model, make_source

    model = make_model(GRAPH_MODEL, layers=2, dimension=64)
    for layer in range(2):
        make_source(model, f"{layer}-tc-demo")
    return model
