"""Tiny seeded model and SAEs for the worker runtime tests; nothing is downloaded.

The model is a 2-layer HookedTransformer with TransformerLens' own init (larger logits than an
HF-style init, so sampling differs visibly), a BPE tokenizer trained on a few sentences, saved with
`save_model_dir` and loaded back. SAEs of three architectures are written with `save_model`.
The builders are in tests/support/tiny_models.py.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.tiny_models import (
    build_model_dir,
    build_sae_root,
    make_served,
)


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> None:
    import torch

    # The model is tiny: on a shared 2-core box extra intra-op threads only spin and wait,
    # which made generation 10-50x slower under load.
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed_everything() -> None:
    import numpy as np
    import torch

    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_model_dir(tmp_path_factory.mktemp("tokenizer"), tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="session")
def sae_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sae_root(tmp_path_factory.mktemp("saes"))


@pytest.fixture(scope="session")
def shared_model(model_dir: Path) -> Any:
    from workers.model_dir import load_model_dir

    return load_model_dir(model_dir)


@pytest.fixture
def served(model_dir: Path, sae_root: Path, shared_model: Any) -> Iterator[Any]:
    """A fresh ServedModel (own SAE cache, so tests may edit SAE weights) over the shared model."""
    served = make_served(model_dir, sae_root, model=shared_model)
    yield served
    shared_model.reset_hooks()
