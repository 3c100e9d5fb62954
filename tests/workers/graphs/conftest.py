"""The tiny model with random per-layer transcoders (built here, never downloaded), loaded as
circuit-tracer's replacement model the way a worker loads it; and a bias-free copy of the model
for the completeness check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.tiny_models import build_bias_free_model_dir, build_transcoder_root


@pytest.fixture(scope="session")
def transcoder_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_transcoder_root(tmp_path_factory.mktemp("transcoders"))


@pytest.fixture(scope="session")
def graph_model(model_dir: Path, transcoder_root: Path) -> Any:
    from workers.graphs.replacement import load_graph_model
    from workers.sources import local_sae_dirs

    return load_graph_model(model_dir, local_sae_dirs(transcoder_root), "tiny-demo")


@pytest.fixture(scope="session")
def bias_free_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bias_free_model_dir(model_dir, tmp_path_factory.mktemp("bias-free"))


@pytest.fixture(scope="session")
def bias_free_graph_model(bias_free_dir: Path, transcoder_root: Path) -> Any:
    from workers.graphs.replacement import load_graph_model
    from workers.sources import local_sae_dirs

    return load_graph_model(bias_free_dir, local_sae_dirs(transcoder_root), "tiny-demo")
