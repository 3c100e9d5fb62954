"""Server-side prepared statements for the hottest queries, prepared once per connection.

The feature query builds the whole response in PostgreSQL; planning it costs more than running
it (about 1 ms against 0.6 ms), and Django turns psycopg's automatic preparation off (for
connection poolers). So the few hot statements are PREPAREd by name on each database
connection the first time it runs them, and EXECUTEd from then on.

If the server has lost the statement (a pooler handed us another session, or DISCARD ALL),
it is prepared again and the call retried, outside transactions; inside one the error stands,
as the transaction is already aborted.
"""

from __future__ import annotations

import re
import weakref
from typing import Any

from django.db import connection
from django.db.utils import ProgrammingError

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Statement names already prepared, per psycopg connection (a new connection starts empty).
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _positional(sql: str) -> tuple[str, list[str]]:
    """`%(name)s` placeholders → `$1, $2, ...` in first-seen order, with the names in order."""
    names = list(dict.fromkeys(_PLACEHOLDER.findall(sql)))
    return _PLACEHOLDER.sub(lambda m: f"${names.index(m.group(1)) + 1}", sql), names


def fetch_one(name: str, sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """Run `sql` (with `%(name)s` placeholders) as the prepared statement `name`; its first row."""
    rows = _execute(name, sql, params, one=True)
    return rows[0] if rows else None


def fetch_all(name: str, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run `sql` as the prepared statement `name`; all its rows."""
    return _execute(name, sql, params, one=False)


def _execute(name: str, sql: str, params: dict[str, Any], one: bool) -> list[tuple[Any, ...]]:
    body, names = _positional(sql)
    args = [params[n] for n in names]
    execute = f"EXECUTE {name} ({', '.join(['%s'] * len(args))})" if args else f"EXECUTE {name}"
    for attempt in (1, 2):
        connection.ensure_connection()
        done = _prepared.setdefault(connection.connection, set())
        with connection.cursor() as cursor:
            if name not in done:
                cursor.execute(f"PREPARE {name} AS {body}")
                done.add(name)
            try:
                cursor.execute(execute, args)
            except ProgrammingError as exc:
                if "does not exist" not in str(exc) or connection.in_atomic_block or attempt == 2:
                    raise
                done.discard(name)
                continue
            if one:
                row = cursor.fetchone()
                return [row] if row is not None else []
            return cursor.fetchall()
    return []  # unreachable: the second attempt returns or raises
