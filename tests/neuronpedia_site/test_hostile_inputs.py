"""A corpus of hostile inputs replayed against every operation of the OpenAPI schema
(/api/schema): NUL characters and lone surrogates, integers beyond bigint, wrong types, lists
and texts far over any limit, bodies that are not an object, nested too deeply or not JSON, and
NULs in path and query parameters. No answer may be a 5xx, and every error is `{error, message}`.

Each input is built to be invalid, so each must be refused before any model runs: no inference
worker is started here, and one that was needed would answer 503, which fails the test. An
operation or a schema shape the corpus does not know fails the test too, rather than being
skipped: a new endpoint is covered the day it is documented.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from tests.support.factories import make_explained_feature

NUL = "a\x00b"
SURROGATE = "a\ud800b"
HUGE_INT = 99_999_999_999_999_999_999
HUGE_INT_TEXT = str(HUGE_INT)
LONG_TEXT = "a" * 20_000  # over every text limit (10,000) and every varchar column
LONG_DECIMAL = "9" * 5000  # int() refuses strings over 4300 digits
TIME_BUDGET_SECONDS = 60
METHODS = ("get", "post", "put", "patch", "delete")

# Valid values for the fields that name things, so that a request is refused for what the case
# changed and not because it names a model that does not exist: one that is not refused goes on
# to look for a worker, and answers 503.
NAMED_SAMPLES = {
    "modelId": "gpt2-small",
    "model": "gpt2-small",
    "targetModelId": "gpt2-small",
    "source": "6-res-jb",
    "layer": "6-res-jb",
    "targetSourceId": "6-res-jb",
    "sourceSet": "res-jb",
    "source_set": "res-jb",
    "prompt": "hello",
    "index": "1",
}
# Samples of valid path values; the others come from the schema's types.
PATH_SAMPLES = {
    "model_id": "gpt2-small",
    "layer": "6-res-jb",
    "index": "1",
    "name": "res-jb",
    "job_id": "1",
    "score_id": "c00000000000000000000score",
    "slug": "cat-sat",
}


@dataclass(frozen=True)
class Case:
    """One request: what it sends, and the statuses a correct server may answer."""

    label: str
    method: str
    path: str
    body: bytes | None
    allowed: range  # statuses a correct server may answer

    def run(self, client: Client, headers: dict[str, str]) -> tuple[int, bytes]:
        send = getattr(client, self.method)
        if self.body is None:
            response = send(self.path, **headers)
        else:
            response = send(self.path, self.body, content_type="application/json", **headers)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        return response.status_code, content


REFUSED = range(400, 500)  # the input is invalid: a 4xx
NOT_FOUND = range(404, 405)
ANSWERED = range(200, 500)  # any answer but a server error (e.g. a text that is merely long)


class Schema:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].removeprefix("#/components/schemas/")
            schema = self.document["components"]["schemas"][name]
        if "allOf" in schema:
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for part in map(self.resolve, schema["allOf"]):
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += part.get("required", [])
            return merged
        return schema

    def types(self, schema: dict[str, Any]) -> set[str]:
        """The JSON types a schema accepts (a oneOf/anyOf accepts each of its members')."""
        schema = self.resolve(schema)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return set().union(*(self.types(s) for s in schema[key]))
        if "enum" in schema and "type" not in schema:
            return {type(schema["enum"][0]).__name__.replace("str", "string")}
        if "type" in schema:
            return {schema["type"]}
        if schema == {}:
            return {"any"}
        raise AssertionError(f"the corpus does not know this schema: {schema}")

    def named_sample(self, name: str, schema: dict[str, Any]) -> Any:
        if name in NAMED_SAMPLES and "string" in self.types(schema):
            return NAMED_SAMPLES[name]
        return self.sample(schema)

    def sample(self, schema: dict[str, Any]) -> Any:
        """A value of the schema's type (required properties only, for objects)."""
        schema = self.resolve(schema)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self.sample(schema[key][0])
        if "enum" in schema:
            return next(v for v in schema["enum"] if v is not None)
        kind = schema.get("type")
        if kind == "object":
            properties = schema.get("properties", {})
            return {
                name: self.named_sample(name, properties[name])
                for name in schema.get("required", [])
            }
        if kind == "array":
            return [self.sample(schema["items"])] * max(schema.get("minItems", 1), 1)
        return {
            "string": "abc",
            "integer": max(schema.get("minimum", 1), 1),
            "number": 1.0,
            "boolean": True,
        }[kind]


def _wrong_type(types: set[str]) -> Any:
    return "np" if "object" in types else {"np": 1}


def _too_long_for(schema: Schema) -> Any:
    def too_long(array: dict[str, Any], where: str) -> list[Any]:
        """One item more than the list's documented `maxItems`: every list a request sends is
        bounded, or one request could buy unbounded work."""
        assert "maxItems" in array, f"{where}: a list without a documented maxItems"
        return [schema.sample(array["items"])] * (array["maxItems"] + 1)

    return too_long


def _body_cases(schema: Schema, op: dict[str, Any], method: str, path: str) -> Iterator[Case]:
    body_schema = op["requestBody"]["content"]["application/json"]["schema"]
    resolved = schema.resolve(body_schema)
    too_long = _too_long_for(schema)

    def case(label: str, body: Any, allowed: range = REFUSED) -> Case:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return Case(label, method, path, raw, allowed)

    yield case("body [] / {}", {} if resolved.get("type") == "array" else [])
    yield case('body "s"', "s")
    yield case("body 123", 123)
    yield case("body null", None)
    yield case("body nested too deeply", b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    yield case("body not JSON", b'{"a": ')
    yield case("body not UTF-8", b'{"a": "\xff\xfe"}')
    if resolved.get("type") == "array":  # e.g. /api/features: the cases go into one item
        item_schema = schema.resolve(resolved["items"])
        yield case("body: a list over its limit", too_long(resolved, f"{method} {path}"))

        def wrap(item: Any) -> Any:
            return [item]

    else:
        item_schema = resolved

        def wrap(item: Any) -> Any:
            return item

    properties = item_schema.get("properties")
    if properties is None:
        if item_schema.get("additionalProperties") is not None:
            raise AssertionError(f"{method} {path}: a free-form body; document its fields")
        raise AssertionError(f"{method} {path}: the corpus does not know this body: {resolved}")
    base = schema.sample(item_schema)
    for name, field in properties.items():
        if field.get("readOnly"):
            continue
        types = schema.types(field)
        for label, value, allowed in [
            ("NUL", NUL, REFUSED),
            ("lone surrogate", SURROGATE, REFUSED),
            ("integer beyond bigint", HUGE_INT, REFUSED),
            ("wrong type", _wrong_type(types), REFUSED),
            ("NUL in a key", {"a\x00": 1}, REFUSED),
        ]:
            if label == "NUL in a key" and "object" not in types and "any" not in types:
                continue
            yield case(f"{name}: {label}", wrap({**base, name: value}), allowed)
        if "array" in types:
            array = schema.resolve(field)
            if "items" not in array:  # a oneOf of text or texts
                array = next(s for s in array["oneOf"] if "items" in s)
            huge = too_long(array, f"{method} {path} {name}")
            yield case(f"{name}: a list over its limit", wrap({**base, name: huge}))
            yield case(f"{name}: NUL in an item", wrap({**base, name: [NUL]}))
        if "string" in types:
            yield case(f"{name}: a long text", wrap({**base, name: LONG_TEXT}), ANSWERED)
        if name == "index" or types & {"integer", "number"}:
            yield case(f"{name}: a long number", wrap({**base, name: LONG_DECIMAL}), ANSWERED)


def _parameter_cases(schema: Schema, op: dict[str, Any], method: str, path: str) -> Iterator[Case]:
    parameters = op.get("parameters", [])
    in_path = {p["name"]: p for p in parameters if p["in"] == "path"}
    in_query = [p for p in parameters if p["in"] == "query"]
    missing = set(in_path) - set(PATH_SAMPLES)
    assert not missing, f"{method} {path}: no sample value for path parameters {missing}"
    body = None
    if "requestBody" in op:
        body_schema = op["requestBody"]["content"]["application/json"]["schema"]
        body = json.dumps(schema.sample(body_schema)).encode()

    def url(**values: str) -> str:
        filled = path
        for name in in_path:
            filled = filled.replace("{" + name + "}", values.get(name, PATH_SAMPLES[name]))
        return filled

    for name in in_path:
        yield Case(f"path {name}: NUL", method, url(**{name: "%00"}), body, NOT_FOUND)
        yield Case(f"path {name}: {HUGE_INT_TEXT}", method, url(**{name: HUGE_INT_TEXT}), body,
                   range(400, 500))  # fmt: skip
    base_query = {p["name"]: str(schema.sample(p["schema"])) for p in in_query if p.get("required")}
    yield Case("query: NUL in a parameter nobody reads", method, url() + "?np=%00", body, REFUSED)
    for parameter in in_query:
        name = parameter["name"]
        types = schema.types(parameter["schema"])
        values = [("NUL", NUL), ("lone surrogate (as UTF-8 bytes)", "\udcff")]
        if types & {"integer", "number"}:
            values += [(HUGE_INT_TEXT, HUGE_INT_TEXT), ("not a number", "np")]
        for label, value in values:
            query = {**base_query, name: value}
            text = "&".join(
                f"{quote(k)}={quote(v, errors='surrogateescape')}" for k, v in query.items()
            )
            allowed = REFUSED if label in ("NUL", "not a number", HUGE_INT_TEXT) else ANSWERED
            yield Case(f"query {name}: {label}", method, f"{url()}?{text}", body, allowed)


def hostile_cases(document: dict[str, Any]) -> dict[tuple[str, str], list[Case]]:
    """Every operation of the schema, with its cases."""
    schema = Schema(document)
    cases: dict[tuple[str, str], list[Case]] = {}
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                raise AssertionError(f"{method} {path}: the corpus does not know this method")
            found = list(_parameter_cases(schema, op, method, path))
            if "requestBody" in op:
                found += _body_cases(schema, op, method, path)
            cases[(method, path)] = found
    return cases


@pytest.fixture
def populated(alice) -> dict[str, str]:
    return {"explanation_id": make_explained_feature().id}


def _error_shape_problem(status: int, content: bytes) -> str | None:
    if status < 400:
        return None
    try:
        body = json.loads(content)
    except ValueError:
        return f"non-JSON {status}"
    if not (isinstance(body, dict) and {"error", "message"} <= body.keys()):
        return f"error body {body!r}"[:300]
    return None


@pytest.mark.django_db(transaction=True)
def test_every_operation_refuses_hostile_input_without_a_server_error(
    settings, admin_account, populated, tmp_path
) -> None:
    settings.ENABLE_RATE_LIMITER = False
    settings.IMPORT_FROM = str(tmp_path)  # never the network
    PATH_SAMPLES["explanation_id"] = populated["explanation_id"]
    client = Client(raise_request_exception=False)
    document = json.loads(client.get("/api/schema?format=json").content)
    cases = hostile_cases(document)
    operations = {(m, p) for p, item in document["paths"].items() for m in item}
    assert set(cases) == operations and len(operations) >= 70
    headers = {
        "HTTP_X_API_KEY": admin_account.key,
        "HTTP_X_SECRET_KEY": settings.INFERENCE_SECRET,
    }
    problems: list[str] = []
    started = time.monotonic()
    sent = 0
    for (method, path), found in sorted(cases.items()):
        assert found, f"{method} {path}: no case"
        for case in found:
            status, content = case.run(client, headers)
            sent += 1
            where = f"{method.upper()} {path} [{case.label}]"
            if status not in case.allowed:
                problems.append(f"{where}: {status} {content[:200]!r}")
            elif problem := _error_shape_problem(status, content):
                problems.append(f"{where}: {problem}")
    elapsed = time.monotonic() - started
    assert problems == [], "\n".join(problems)
    assert elapsed < TIME_BUDGET_SECONDS, f"{sent} requests took {elapsed:.0f} s"
