"""Models, source sets and sources as the user may see them (spec: visibility rules)."""

from __future__ import annotations

from typing import Any

from features.models import Model, Source, SourceSet
from features.rows import row_dict
from neuronpedia_site.models import User


def source_set_name(source_id: str) -> str:
    """`6-res-jb` → `res-jb`; `12-x__foo` → `x`; a bare integer is an MLP-neuron source."""
    if source_id.isdigit():
        return "neurons"
    return source_id.split("-", 1)[1].split("__", 1)[0] if "-" in source_id else source_id


def layer_number(source_id: str) -> int:
    """`6-res-jb` → 6; `e-...` (embeddings) → 0."""
    head = source_id.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


def models_with_sources(user: User | None) -> list[dict[str, Any]]:
    models = list(Model.objects.listed_for(user).order_by("id"))
    ids = [m.id for m in models]
    sets = SourceSet.objects.listed_for(user).filter(model_id__in=ids).order_by("name")
    sources = Source.objects.listed_for(user).filter(model_id__in=ids)
    by_set: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for source in sorted(sources, key=lambda s: (layer_number(s.source_id), s.source_id)):
        by_set.setdefault((source.model_id, source.set_name), []).append(row_dict(source))
    by_model: dict[str, list[dict[str, Any]]] = {}
    for source_set in sets:
        row = row_dict(source_set)
        row["sources"] = by_set.get((source_set.model_id, source_set.name), [])
        by_model.setdefault(source_set.model_id, []).append(row)
    return [{**row_dict(m), "sourceSets": by_model.get(m.id, [])} for m in models]
