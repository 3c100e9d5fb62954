"""Node labels (`clerp`) from our explanations: the newest explanation of each transcoder
feature, read from `features.Explanation` rows of the transcoder's source."""

from __future__ import annotations

from collections.abc import Iterable

from features.models import Explanation


def newest_explanations(
    model_id: str, keys: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], str]:
    """`(source id, index) -> description` of the newest explanation of each feature asked for
    (features without one are left out)."""
    wanted: dict[str, set[str]] = {}
    for source, index in keys:
        wanted.setdefault(source, set()).add(str(index))
    found: dict[tuple[str, int], str] = {}
    for source, indexes in wanted.items():
        rows = (
            Explanation.objects.filter(model_id=model_id, layer=source, index__in=indexes)
            .order_by("index", "-created_at")
            .values_list("index", "description")
        )
        for stored_index, description in rows:
            found.setdefault((source, int(stored_index)), description)
    return found
