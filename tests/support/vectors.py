"""Vectors made through `steering.vectors`, for the endpoint tests."""

from __future__ import annotations

from typing import Any

from steering import vectors

DIM = 8
VALUES = [0.1, -0.2, 0.0, 3.0, 1e-17, 0.30000000000000004, -7.25, 123456.789012345]


def make_vector(
    user: Any, model_id: str = "vec-model", label: str = "dinosaurs", layer: int = 1
) -> Any:
    return vectors.create_vector(
        user,
        model_id=model_id,
        layer=layer,
        hook_type="hook_resid_pre",
        values=VALUES,
        default_strength=44,
        label=label,
    )
