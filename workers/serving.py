"""What this worker process serves, configured by `run_worker` through the environment.

The runtime (torch, transformer-lens, sae-lens) is imported on first use, inside the worker only.
"""

from __future__ import annotations

import os
from typing import Any

MODEL_ENV = "NP_WORKER_MODEL"


def served_model_id() -> str | None:
    return os.environ.get(MODEL_ENV) or None


def describe() -> dict[str, Any]:
    """model_id and sources for the registry; sources are listed without loading weights."""
    return {"model_id": served_model_id(), "sources": []}
