"""Rows as Neuronpedia's JSON: keys are the column names, values JSON-ready.

Neuronpedia's API returns whole Prisma rows, so serialising by column name gives its shapes
for every table without a hand-written field list per model.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import models


def _value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if hasattr(value, "tolist"):  # pgvector / numpy arrays
        return value.tolist()
    return value


def row_dict(instance: models.Model, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """`{column: value}` for every concrete column but our surrogate `_key`."""
    skip = {"_key", *exclude}
    out: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.column in skip:
            continue
        out[field.column] = _value(getattr(instance, field.attname))
    return out
