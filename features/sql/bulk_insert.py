"""Insert many model rows in one statement, with PostgreSQL parsing the values.

`bulk_create` quotes every parameter in Python: for Activation rows (64 tokens and 64 floats
each) that is most of the cost, about 25 ms for the 50 rows a search saves. Here the rows go as
one JSON document and `jsonb_to_recordset` turns them into typed columns on the server, as
Neuronpedia's own importer does (about 7 ms for the same rows). Defaults, `auto_now_add` and
foreign keys are resolved by Django's fields exactly as `save()` would.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection, models

from features.rows import column


def insert_rows(objs: Sequence[models.Model]) -> None:
    """INSERT `objs` (instances of one model, primary keys already set) in one statement."""
    if not objs:
        return
    model = type(objs[0])
    insert_values(model, [row_values(obj) for obj in objs])


def row_values(obj: models.Model) -> dict[str, Any]:
    """The row `obj` would be saved as, by column: defaults and `auto_now_add` resolved.

    Many rows that differ in a few columns can share one such row as a template, which is
    several times cheaper than building a model instance per row.
    """
    return {column(field): _column_value(field, obj) for field in obj._meta.concrete_fields}


def insert_values(
    model: type[models.Model], rows: Sequence[dict[str, Any]], suffix: str = ""
) -> None:
    """INSERT `rows` (`row_values` dicts) into `model`'s table in one statement."""
    if rows:
        sql, params = insert_sql(model, rows, suffix)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def insert_sql(
    model: type[models.Model], rows: Sequence[dict[str, Any]], suffix: str = ""
) -> tuple[str, list[Any]]:
    """The statement `insert_values` runs and its one parameter; `suffix` is appended (e.g.
    `ON CONFLICT DO NOTHING RETURNING "id"`), so the INSERT can sit in a larger statement."""
    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(column(f)) for f in fields)
    typed = ", ".join(
        f"{connection.ops.quote_name(column(f))} {f.db_type(connection)}" for f in fields
    )
    table = connection.ops.quote_name(model._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {columns} "
        f"FROM jsonb_to_recordset(%s::jsonb) AS t({typed}) {suffix}"
    )
    return sql.rstrip(), [json.dumps(list(rows), allow_nan=False)]


# Arrays of these are sent as they are: preparing each element in Python (7,000 calls for 50
# Activation rows) would cost as much as the statement.
_PLAIN = (models.FloatField, models.IntegerField, models.TextField, models.CharField)


def _column_value(field: models.Field, obj: models.Model) -> Any:
    value = field.pre_save(obj, add=True)
    if isinstance(field, ArrayField) and isinstance(field.base_field, _PLAIN):
        return None if value is None else list(value)
    value = field.get_db_prep_save(value, connection)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value
