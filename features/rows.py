"""Rows as Neuronpedia's JSON: keys are the column names, values JSON-ready.

Neuronpedia's API returns whole Prisma rows, so serialising by column name gives its shapes
for every table without a hand-written field list per model. `row_dict` does it in Python;
`json_object_sql` writes the same object in SQL, for hot paths where PostgreSQL builds the whole
response (see `features.feature_detail`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

# Prisma sends timestamps as UTC with milliseconds ("2024-05-01T12:00:00.123Z").
SQL_TIMESTAMP_FORMAT = """'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'"""
# json_build_object takes at most 100 arguments (PostgreSQL's FUNC_MAX_ARGS).
_MAX_PAIRS = 50


def _value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        utc = value.astimezone(datetime.UTC)
        return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if hasattr(value, "tolist"):  # pgvector / numpy arrays
        return value.tolist()
    return value


def column(field: models.Field) -> str:
    """A concrete field's column name (Django's stubs allow None, which concrete fields never
    have)."""
    assert field.column is not None
    return field.column


def row_dict(instance: models.Model, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """`{column: value}` for every concrete column but our surrogate `_key`."""
    skip = {"_key", *exclude}
    out: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if column(field) in skip:
            continue
        out[column(field)] = _value(getattr(instance, field.attname))
    return out


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table(model: type[models.Model]) -> str:
    return quote(model._meta.db_table)


def column_sql(field: models.Field, alias: str) -> str:
    """The SQL for one column, formatted as `row_dict` formats it."""
    ref = f"{alias}.{quote(column(field))}"
    if isinstance(field, models.DateTimeField):
        return f"to_char({ref} AT TIME ZONE 'UTC', {SQL_TIMESTAMP_FORMAT})"
    return ref


def json_pairs_sql(pairs: Iterable[tuple[str, str]]) -> str:
    """A JSON object from `(key, SQL expression)` pairs, keys in the given order."""
    pairs = list(pairs)
    if len(pairs) <= _MAX_PAIRS:
        args = ", ".join(f"'{key}', {expr}" for key, expr in pairs)
        return f"json_build_object({args})"
    # Too many arguments for json_build_object: a one-row subselect has no such limit.
    cols = ", ".join(f"{expr} AS {quote(key)}" for key, expr in pairs)
    return f"(SELECT row_to_json(_r) FROM (SELECT {cols}) _r)"


def json_object_sql(
    model: type[models.Model],
    alias: str,
    *,
    exclude: Iterable[str] = (),
    replace: Mapping[str, str] | None = None,
    extra: Iterable[tuple[str, str]] = (),
) -> str:
    """SQL building `row_dict(row, exclude)` for the row of `model` at `alias`.

    `replace` swaps a column's expression (by column name); `extra` appends keys after the
    columns, e.g. nested relations.
    """
    skip = {"_key", *exclude}
    replace = replace or {}
    pairs = [
        (column(field), replace.get(column(field)) or column_sql(field, alias))
        for field in model._meta.concrete_fields
        if column(field) not in skip
    ]
    return json_pairs_sql([*pairs, *extra])
