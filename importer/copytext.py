"""Export rows (JSON lines) as PostgreSQL COPY text, fast enough to keep COPY busy.

Neuronpedia's rules apply: keys that are not columns of the table are ignored, a literal
`\\u0000` becomes a space, and for "Activation" the pair `zIndices = [[k...], [q...]]` fills
`zKIndices` and `zQIndices`. Where Neuronpedia takes the columns from the first line only,
every column is loaded here, so a key that only later lines carry is not lost. A column a row
lacks gets the Django model's default (`createdAt`: the time of the import; PostgreSQL has no
column defaults here), a null in a NOT NULL column gets the default too, and a row without
`id` gets one derived from its content, so importing the same file twice cannot duplicate it.

Speed: Python-side formatting, not the server, is what limits COPY (services-facts.md), so
1. numbers are never converted: the decoder keeps them as the text they were in the file
   (`parse_float=str`) and number arrays are joined as they are;
2. string arrays are quoted with one `join` and a few `str.replace` on the whole array, and
   COPY escaping is done once on the whole row, with NUL and U+0001 standing for the field
   separator and NULL while a row is built (NUL never survives the `\\u0000` rule; rows whose
   text contains U+0001 are built the slow way, field by field).
Anything unusual (nulls inside arrays, nested arrays, a string where a number belongs) falls
back to a careful path that quotes every element, so PostgreSQL sees and rejects bad values
instead of the fast path letting `"1,2"` pass as two numbers.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

SEP = "\x00"
NULL = "\x01"


class _Marker:
    """A named sentinel that stays itself through pickling (formatters run in subprocesses)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __reduce__(self) -> str:
        return self.name  # pickled as a reference to this module's global of that name

    def __repr__(self) -> str:
        return self.name


NOW = _Marker("NOW")  # default: the time of the import
MISSING = _Marker("MISSING")  # a key the row does not have
CONTENT_ID = _Marker("CONTENT_ID")  # default: an id derived from the row's text

Formatter = Callable[[Any], "str | None"]


class RowError(ValueError):
    """A row that cannot be turned into COPY text; `row` counts non-blank lines from 1."""

    def __init__(self, row: int, message: str) -> None:
        super().__init__(f"row {row}: {message}")
        self.row = row
        self.message = message

    def __reduce__(self) -> tuple[type[RowError], tuple[int, str]]:
        return RowError, (self.row, self.message)  # raised in pool processes too


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str  # as format_type() spells it: "double precision[]", "vector(256)"
    kind: str  # text | number | bool | json | vector | array
    element: str  # for arrays: text | number | bool
    not_null: bool
    has_db_default: bool  # identity / serial columns: leave them to the database


COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory, t.typname,
       coalesce(et.typcategory, ''), a.attnotnull, (a.atthasdef OR a.attidentity <> '')
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""
_KINDS = {"N": "number", "B": "bool", "A": "array"}


def table_columns(cursor: Any, table: str) -> dict[str, Column]:
    """The table's columns, from the catalog (as Neuronpedia reads information_schema)."""
    cursor.execute(COLUMNS_SQL, [f'"{table}"'])
    columns = {}
    for name, sql_type, category, typname, element, not_null, has_default in cursor.fetchall():
        if typname in ("json", "jsonb"):
            kind = "json"
        elif typname == "vector":
            kind = "vector"
        else:
            kind = _KINDS.get(category, "text")
        elem = {"N": "number", "B": "bool"}.get(element, "text")
        columns[name] = Column(name, sql_type, kind, elem, not_null, has_default)
    return columns


def django_defaults(table: str) -> dict[str, Any]:
    """Defaults of the Django model behind `table`, by column (NOW / CONTENT_ID markers)."""
    from django.apps import apps
    from django.db import models

    from features.rows import column

    model = next((m for m in apps.get_models() if m._meta.db_table == table), None)
    if model is None:
        return {}
    defaults: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        name = column(field)
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            defaults[name] = NOW
        elif (
            field.primary_key
            and callable(field.default)
            and field.get_internal_type()
            in (
                "CharField",
                "TextField",
            )
        ):
            defaults[name] = CONTENT_ID
        elif field.has_default():
            defaults[name] = field.get_default()
    return defaults


# --- values -------------------------------------------------------------------------------


def _scalar_text(value: Any, column: Column) -> str:
    """Any JSON value for a scalar column, the way jsonb_to_recordset would read it."""
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return value
    if column.kind in ("number", "bool"):
        raise ValueError(f"column {column.name}: expected a {column.kind}, got {_json_type(value)}")
    return json.dumps(value, ensure_ascii=False)


def _element(value: Any, element: str) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return "{" + ",".join(_element(v, element) for v in value) + "}"
    if value is True or value is False:
        text = "t" if value else "f"
    elif isinstance(value, int | float) and element == "number":
        return repr(value)
    else:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    # quoted, so a string in a number array reaches PostgreSQL as one (invalid) element
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array_slow(value: list[Any], column: Column) -> str:
    return "{" + ",".join(_element(v, column.element) for v in value) + "}"


_TYPE_NAMES: dict[type, str] = {list: "a list", dict: "an object", str: "a string"}


def _json_type(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def formatter(column: Column, default: str | None) -> Formatter:
    """A function from a decoded JSON value to the field's text (None = SQL NULL).

    `default` (already formatted) replaces a missing or null value of a NOT NULL column.
    """
    if column.kind == "array":
        return _array_formatter(column, default)
    if column.kind == "json":

        def fmt_json(value: Any) -> str | None:
            if value is None:
                return default
            return json.dumps(value, ensure_ascii=False)

        return fmt_json
    if column.kind == "vector":

        def fmt_vector(value: Any) -> str | None:
            if type(value) is str:
                return value
            if value is None:
                return default
            if isinstance(value, list):
                return "[" + ",".join(_scalar_text(v, column) for v in value) + "]"
            raise ValueError(f"column {column.name}: expected a vector, got {_json_type(value)}")

        return fmt_vector

    def fmt_scalar(value: Any) -> str | None:
        if type(value) is str:
            return value
        if value is None:
            return default
        return _scalar_text(value, column)

    return fmt_scalar


def _array_formatter(column: Column, default: str | None) -> Formatter:
    name = column.name

    def not_a_list(value: Any) -> str | None:
        if value is None:
            return default
        raise ValueError(f"column {name}: expected a list, got {_json_type(value)}")

    if column.element == "number":

        def fmt_numbers(value: Any) -> str | None:
            if type(value) is not list:
                return not_a_list(value)
            if not value:
                return "{}"
            try:
                text = ",".join(value)
            except TypeError:  # nulls, nested lists, or numbers a slow decoder made floats
                return _array_slow(value, column)
            # Each element must be one number token: no comma, quote or brace inside one, and
            # no "NULL" string that the array syntax would read as a null.
            if (
                text.count(",") != len(value) - 1
                or '"' in text
                or "{" in text
                or "}" in text
                or "\\" in text
                or "l" in text
                or "L" in text
            ):
                return _array_slow(value, column)
            return "{" + text + "}"

        return fmt_numbers

    if column.element == "text":

        def fmt_strings(value: Any) -> str | None:
            if type(value) is not list:
                return not_a_list(value)
            if not value:
                return "{}"
            try:
                text = '","'.join(value)
            except TypeError:
                return _array_slow(value, column)
            # no quote or backslash inside an element: quoted as it is, in one join
            if text.count('"') == 2 * len(value) - 2 and "\\" not in text:
                return '{"' + text + '"}'
            text = SEP.join(value)
            if "\\" in text:
                text = text.replace("\\", "\\\\")
            if '"' in text:
                text = text.replace('"', '\\"')
            return '{"' + text.replace(SEP, '","') + '"}'

        return fmt_strings

    def fmt_other(value: Any) -> str | None:
        if type(value) is not list:
            return not_a_list(value)
        return _array_slow(value, column)

    return fmt_other


def copy_escape(text: str) -> str:
    """One field in COPY's text format."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    if "\t" in text:
        return text.replace("\t", "\\t")
    return text


# --- rows ---------------------------------------------------------------------------------

_ESCAPES = re.compile(r"\\(\\|u0000)")


def replace_nul(line: str) -> str:
    """Neuronpedia's `\\u0000` -> " ", without touching an escaped backslash before `u0000`."""
    return _ESCAPES.sub(lambda m: "\\\\" if m.group(1) == "\\" else " ", line)


def split_z_indices(row: dict[str, Any]) -> None:
    """Activation exports carry `zIndices: [[k...], [q...]]`; the table has two columns."""
    pair = row.get("zIndices")
    if isinstance(pair, list) and len(pair) == 2:
        if isinstance(pair[0], list):
            row["zKIndices"] = pair[0]
        if isinstance(pair[1], list):
            row["zQIndices"] = pair[1]


TRANSFORMS: dict[str, Callable[[dict[str, Any]], None]] = {"Activation": split_z_indices}


def content_id(line: str) -> str:
    """A stable id for a row that has none (25 characters, like Neuronpedia's cuids)."""
    return "i" + hashlib.md5(line.encode(), usedforsecurity=False).hexdigest()[:24]


class RowFormatter:
    """Turns chunks of JSON lines into COPY text for a fixed list of columns.

    Built from the first row of a file (`plan`). `format_chunk` also collects, for each
    foreign key in `fk_columns`, the distinct key values it saw, so the loader can check
    them with one query per file (`foreign_keys()`).
    """

    def __init__(
        self,
        table: str,
        columns: list[Column],
        defaults: dict[str, Any],
        now: str,
        fk_columns: Sequence[tuple[str, ...]] = (),
    ) -> None:
        self.table = table
        self.columns = columns
        self.names = [c.name for c in columns]
        self.transform = TRANSFORMS.get(table)
        self.id_from_content = defaults.get("id") is CONTENT_ID and "id" in self.names
        # json columns need real floats (a float kept as text would be quoted by json.dumps)
        fast = not any(c.kind == "json" for c in columns)
        # str.lstrip rather than str: the same text (a number token has no leading blank and
        # an exact str comes back as itself), through a cheaper call (a scan ~20% faster).
        self.decoder = (
            json.JSONDecoder(parse_float=str.lstrip, parse_int=str.lstrip, parse_constant=str)
            if fast
            else json.JSONDecoder()
        )
        # Per column: key, formatter, "a string is the field as it is", the text for a
        # missing key (the default, else NULL) and for an explicit null (NULL, unless the
        # column is NOT NULL: then the default). None stands for NULL.
        self._fmts: list[tuple[str, Formatter, bool, str | None, str | None]] = []
        for column in columns:
            default = defaults.get(column.name)
            default_text: str | None = None
            if default is not None and default is not CONTENT_ID:
                default_text = formatter(column, None)(now if default is NOW else default)
            on_null = default_text if column.not_null else None
            plain = column.kind in ("text", "number", "bool", "vector")
            fmt = formatter(column, None)
            self._fmts.append((column.name, fmt, plain, default_text, on_null))
        # the same, with the NULL marker for rows built the fast way
        self._fmts_marked = [
            (n, f, plain, NULL if dm is None else dm, NULL if dn is None else dn)
            for n, f, plain, dm, dn in self._fmts
        ]
        position = {name: i for i, name in enumerate(self.names)}
        self._fk_getters = [itemgetter(*(position[c] for c in cols)) for cols in fk_columns]
        self._fk_seen: list[set[Any]] = [set() for _ in fk_columns]
        self._fk_absorbed: list[set[tuple[str, ...]]] = [set() for _ in fk_columns]
        # what a subprocess needs to build the same formatter (see format_remote)
        self.spec = (table, columns, defaults, now, list(fk_columns))
        self._fk_single = [len(cols) == 1 for cols in fk_columns]
        self.rows = 0

    @classmethod
    def plan(
        cls,
        table: str,
        first_row: dict[str, Any],
        columns: dict[str, Column],
        defaults: dict[str, Any],
        now: str,
        foreign_keys: Sequence[tuple[str, ...]] = (),
    ) -> RowFormatter:
        """Every column of the table, so any row's key is used, whichever line it is on;
        identity columns only when the file gives them (else the database numbers rows)."""
        row = dict(first_row)
        transform = TRANSFORMS.get(table)
        if transform:
            transform(row)
        chosen = [c for name, c in columns.items() if not c.has_db_default or name in row]
        names = {c.name for c in chosen}
        fks = [cols for cols in foreign_keys if set(cols) <= names]
        return cls(table, chosen, defaults, now, fks)

    def foreign_keys(self) -> list[set[tuple[str, ...]]]:
        """For each foreign key, the distinct non-null values the rows so far referenced."""
        result = []
        for seen, single, absorbed in zip(
            self._fk_seen, self._fk_single, self._fk_absorbed, strict=True
        ):
            if single:
                keys = {(v,) for v in seen if v is not None and v != NULL}
            else:
                keys = {k for k in seen if None not in k and NULL not in k}
            result.append(keys | absorbed)
        return result

    def absorb(self, rows: int, foreign_keys: list[set[tuple[str, ...]]]) -> None:
        """Count rows formatted elsewhere (a subprocess) as if this formatter had done them."""
        self.rows += rows
        for absorbed, keys in zip(self._fk_absorbed, foreign_keys, strict=True):
            absorbed |= keys

    def format_chunk(self, text: str) -> str:
        """COPY text for the non-blank lines of `text` (whole lines only)."""
        done: list[str] = []
        # The C scanner behind json.loads: a runtime attribute that typeshed does not declare.
        scan: Callable[[str, int], tuple[Any, int]] = getattr(self.decoder, "scan_once")
        fmts = self._fmts
        marked = self._fmts_marked
        transform = self.transform
        fks = list(zip(self._fk_getters, self._fk_seen, strict=True))
        for line in text.split("\n"):
            if not line or line.isspace():
                continue
            self.rows += 1
            careful = False
            if "\\u000" in line:
                if "\\u0000" in line:
                    line = replace_nul(line)
                careful = "\\u0001" in line
            try:
                row, end = scan(line, 0)
            except (StopIteration, ValueError):  # not JSON (or leading blanks): say why below
                row, end = None, 0
            if end != len(line) and line[end:].strip() or type(row) is not dict:
                row = self._decode_slowly(line)
            if transform is not None:
                transform(row)
            if self.id_from_content and row.get("id") is None:
                row["id"] = content_id(line)
            get = row.get
            parts: list[Any]
            try:
                if careful:
                    parts = [
                        v
                        if type(v := get(n, MISSING)) is str and plain
                        else dm
                        if v is MISSING
                        else dn
                        if v is None
                        else f(v)
                        for n, f, plain, dm, dn in fmts
                    ]
                    for getter, seen in fks:
                        seen.add(getter(parts))
                    fields = ["\\N" if p is None else copy_escape(p) for p in parts]
                    done.append("\t".join(fields))
                    continue
                parts = [
                    v
                    if type(v := get(n, MISSING)) is str and plain
                    else dm
                    if v is MISSING
                    else dn
                    if v is None
                    else f(v)
                    for n, f, plain, dm, dn in marked
                ]
            except ValueError as exc:
                raise RowError(self.rows, str(exc)) from None
            for getter, seen in fks:
                seen.add(getter(parts))
            row_text = SEP.join(parts)
            if "\\" in row_text:
                row_text = row_text.replace("\\", "\\\\")
            if "\n" in row_text:
                row_text = row_text.replace("\n", "\\n")
            if "\r" in row_text:
                row_text = row_text.replace("\r", "\\r")
            if "\t" in row_text:
                row_text = row_text.replace("\t", "\\t")
            if NULL in row_text:
                row_text = row_text.replace(NULL, "\\N")
            done.append(row_text.replace(SEP, "\t"))
        if not done:
            return ""
        done.append("")
        return "\n".join(done)

    def _decode_slowly(self, line: str) -> dict[str, Any]:
        try:
            row = self.decoder.decode(line)
        except ValueError as exc:
            raise RowError(self.rows, f"invalid JSON ({exc})") from None
        if type(row) is not dict:
            raise RowError(self.rows, f"expected a JSON object, got {_json_type(row)}")
        return row


# --- in subprocesses ----------------------------------------------------------------------

_REMOTE: dict[str, RowFormatter] = {}


def format_remote(
    plan_id: str, spec: tuple[Any, ...], data: bytes
) -> tuple[bytes, int, list[set[tuple[str, ...]]]]:
    """`format_chunk` in a pool process: COPY bytes, rows, and the foreign keys they use.

    Row numbers in errors count from the start of `data`; the caller adds the rows before.
    """
    formatter = _REMOTE.get(plan_id)
    if formatter is None:
        _REMOTE.clear()  # one file at a time
        formatter = _REMOTE[plan_id] = RowFormatter(*spec)
    formatter.rows = 0
    for seen in formatter._fk_seen:
        seen.clear()
    text = formatter.format_chunk(data.decode("utf-8"))
    return text.encode(), formatter.rows, formatter.foreign_keys()
