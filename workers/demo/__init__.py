"""The bundled demo: a tiny causal LM and SAEs trained by our own code on our own corpus."""

from __future__ import annotations

from workers.demo.pack import build_demo_pack

__all__ = ["build_demo_pack"]
