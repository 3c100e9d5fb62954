"""The dashboards tests run their tiny tensors on one torch thread; their fixtures (the demo
model, a small dashboards run) are in tests/support/demo_exports.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    import torch

    # Tiny tensors: on a shared 2-core box a second intra-op thread only spins and waits.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
