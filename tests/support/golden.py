"""Golden JSON files (tests/support/responses/<name>.json) for response shapes.

Ids and timestamps differ on every run, so bodies are normalised first: timestamps become
"<timestamp>", ids the test names become "<name>" (e.g. "<alice>"), other cuid-shaped ids "<id>"
and integer surrogate keys "<pk>". A missing file is a failure, not a new golden: files are
written only by `make golden` (UPDATE_GOLDEN=1), and the diff is reviewed like code.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

RESPONSES = Path(__file__).parent / "responses"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
CUID = re.compile(r"^c[0-9a-z]{24}$")


def normalise(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            k: "<pk>" if k == "id" and isinstance(v, int) else normalise(v, names)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [normalise(v, names) for v in value]
    if isinstance(value, str):
        if value in names:
            return f"<{names[value]}>"
        if TIMESTAMP.match(value):
            return "<timestamp>"
        if CUID.match(value):
            return "<id>"
    return value


def assert_golden(name: str, body: Any, names: dict[str, str] | None = None) -> None:
    path = RESPONSES / f"{name}.json"
    actual = normalise(body, names or {})
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
    assert path.exists(), f"no golden file {path.name}: write it with `make golden` and review it"
    assert actual == json.loads(path.read_text())
