"""What any request may carry, whatever the endpoint: the rules that keep hostile input from
reaching PostgreSQL or a worker as something they cannot take.

- Text never holds a NUL character (PostgreSQL's text type cannot store one) or a lone UTF-16
  surrogate (`"\\ud800"` in JSON decodes to one; it cannot be encoded as UTF-8, so neither the
  database driver nor the worker's tokenizer can take it).
- A JSON integer fits PostgreSQL's bigint, the widest integer column of the schema.

`neuronpedia_site.parsers.JSONParser` applies them to every JSON body and
`neuronpedia_site.middleware.UnstorableInputMiddleware` to every path and query string, so no
view, serializer or converter has to remember them.
"""

from __future__ import annotations

import re
from typing import Any

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1
UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    found = UNSTORABLE_CHARACTER.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "Text cannot contain NUL characters (U+0000)."
    return f"Text cannot contain lone surrogate characters (U+{ord(found.group()):04X})."


def _where(path: tuple[str | int, ...]) -> str:
    parts = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return parts.lstrip(".") or "body"


def _breaks_a_rule(value: Any) -> bool:
    if isinstance(value, str):
        return UNSTORABLE_CHARACTER.search(value) is not None
    return type(value) is int and not BIGINT_MIN <= value <= BIGINT_MAX


def json_problem(data: Any) -> str | None:
    """The first string (key or value) or integer in decoded JSON that breaks the rules above,
    as `"<where>: <why>"`; None when everything is fine.

    Walks with its own stack (the parser has bounded the depth, but a deep body must not recurse
    here a second time) and without tracking where it is, as every JSON body goes through it
    (a 24,576-value vector in about 2 ms); `_locate` finds where only once something is wrong."""
    stack = [data]
    search = UNSTORABLE_CHARACTER.search
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is list:
            # Lists of numbers (vectors, activation values) are most of a large body.
            if all(type(item) is float for item in value):
                continue
            stack.extend(value)
        elif kind is dict:
            if any(search(key) for key in value):
                return _locate(data)
            stack.extend(value.values())
        elif (kind is str and search(value)) or (
            kind is int and not BIGINT_MIN <= value <= BIGINT_MAX
        ):
            return _locate(data)
    return None


def _locate(data: Any) -> str:
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                problem = text_problem(key)
                if problem:
                    return f"{_where(path)}: a key: {problem}"
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, i), item) for i, item in enumerate(value))
        elif isinstance(value, str) and (problem := text_problem(value)):
            return f"{_where(path)}: {problem}"
        elif _breaks_a_rule(value):
            return f"{_where(path)}: {value} is out of range (at most {BIGINT_MAX})."
    raise AssertionError("_locate is called only when something breaks a rule")
