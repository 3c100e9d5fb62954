"""Every stored graph is checked here, against `schema/attribution-graph.schema.json` (written
from the fields Neuronpedia's graph schema requires; docs/graphs.md). A bad graph is a 400
naming the first failing place, e.g. `nodes[3].layer: 3 is not of type 'string'`."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from neuronpedia_site.errors import ApiError

SCHEMA_PATH = Path(__file__).parent / "schema" / "attribution-graph.schema.json"
INVALID_GRAPH = "Invalid graph format"


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def error_path(error: ValidationError) -> str:
    """`nodes[3].layer` for the error's place in the document; `(root)` for the top."""
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def check_graph(graph: Any) -> dict[str, Any]:
    """The graph, if it is valid; otherwise ApiError(400) naming each failing path (at
    most ten, in the schema's order)."""
    errors = list(_validator().iter_errors(graph))
    if not errors:
        return graph
    details = [f"{error_path(e)}: {e.message}" for e in errors[:10]]
    raise ApiError(f"{INVALID_GRAPH}: {details[0]}", extra={"details": details})
