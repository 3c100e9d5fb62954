"""Graph pages: the viewer, a model's graph list and the generate form."""

from __future__ import annotations
