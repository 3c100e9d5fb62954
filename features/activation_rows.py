"""Activation rows as the API serves them: every column by name, `binContains` only when it is
a fraction.

SAEDashboard (and `generate_dashboards`) mark the top examples of a feature, which belong to no
quantile bin, with `binMin = binContains = -1`. The official client maps `binContains` to
`Activation.quantileFraction` and raises on anything outside [0, 1], so `Feature.get` would fail
on every feature with top examples. The stored row keeps the sentinel (exports and re-imports
stay byte-equal); answers carry `null` there, which the client reads as "no bin". This is one
rule with two spellings, SQL for the paths PostgreSQL renders and Python for the ORM paths;
`tests/features/api/test_activation_rows.py` holds them to the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from features.models import Activation
from features.rows import json_object_sql, quote, row_dict

BIN_CONTAINS = "binContains"


def served_bin_contains(value: float | None) -> float | None:
    """The stored `binContains` as served: a fraction in [0, 1], else null."""
    return value if value is not None and 0 <= value <= 1 else None


def served_bin_contains_sql(alias: str) -> str:
    ref = f"{alias}.{quote(BIN_CONTAINS)}"
    return f"CASE WHEN {ref} BETWEEN 0 AND 1 THEN {ref} END"


def activation_json_sql(alias: str, extra: Iterable[tuple[str, str]] = ()) -> str:
    """SQL building the served JSON of the Activation row at `alias` (`extra` keys appended)."""
    return json_object_sql(
        Activation, alias, replace={BIN_CONTAINS: served_bin_contains_sql(alias)}, extra=extra
    )


def activation_dict(activation: Activation) -> dict[str, Any]:
    """The served dict of one Activation row (as `activation_json_sql` builds it)."""
    row = row_dict(activation)
    row[BIN_CONTAINS] = served_bin_contains(row[BIN_CONTAINS])
    return row
