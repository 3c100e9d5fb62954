"""The COPY text formatter, checked through PostgreSQL itself: what is stored is what the
JSON said, on the fast path and on the careful one."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from features.models import Activation, Explanation, Feature
from importer.copytext import RowError, RowFormatter, content_id, replace_nul, table_columns
from importer.loader import Catalog, FileError, FileResult, load_file
from tests.support.factories import make_feature, make_model, make_source

pytestmark = pytest.mark.django_db
BOT = "clkht01d40000jv08hvalcvly"


@pytest.fixture
def feature() -> Feature:
    return make_feature(make_source(make_model()), index=0)


def _load(tmp_path: Path, table: str, text: str, gz: bool = True, name: str = "f") -> FileResult:
    path = tmp_path / (f"{name}.jsonl.gz" if gz else f"{name}.jsonl")
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    with transaction.atomic():
        return load_file(
            lambda: path.open("rb"), path.name, table, Catalog(), fast_constraints=True
        )


def _activation(**fields: Any) -> dict[str, Any]:
    row = {"id": "act-1", "modelId": "gpt2-small", "layer": "6-res-jb", "index": "0",
           "tokens": ["a", "b"], "values": [0, 1.5], "maxValue": 1.5, "minValue": 0,
           "maxValueTokenIndex": 1, "creatorId": BOT}  # fmt: skip
    return {**row, **fields}


@pytest.mark.parametrize(
    "tokens",
    [
        ["a\u0001b", "tab\t", "nl\n"],  # U+0001 (the NULL marker): the careful path
        ["\\", "\\\\", '\\"', "\\N", "N", "\\t"],
        ["😀 non-BMP", "\u2028line sep", "\r\n"],
        ["", " ", "NULL", "null", "{}", ","],
        ['say "hi"', 'a","b', '"', '","'],  # quotes without a backslash: not the one-join path
        ["plain", " words", "日本", "über"],  # nothing to escape: the one-join path
    ],
)
def test_strings_come_back_exactly(tmp_path: Path, feature: Feature, tokens: list[str]) -> None:
    _load(tmp_path, "Activation", json.dumps(_activation(tokens=tokens)) + "\n")
    assert Activation.objects.get(id="act-1").tokens == tokens


def test_nul_becomes_a_space_but_an_escaped_backslash_stays(
    tmp_path: Path, feature: Feature
) -> None:
    line = json.dumps(_activation(tokens=["x\x00y", "\\u0000", "\x00\x00"], dataSource="d\x00"))
    assert "\\u0000" in line
    _load(tmp_path, "Activation", line)
    stored = Activation.objects.get(id="act-1")
    assert stored.tokens == ["x y", "\\u0000", "  "]
    assert stored.data_source == "d "
    assert replace_nul('"\\\\u0000\\u0000"') == '"\\\\u0000 "'


def test_nulls_inside_arrays_and_json_numbers_of_every_spelling(
    tmp_path: Path, feature: Feature
) -> None:
    row = _activation(
        tokens=["a", None],
        values=[1e-7, -2.5e3, 0, 1, 3.0],
        lossValues=[None, 0.5],
        zQIndices=[1, 2],
    )
    _load(tmp_path, "Activation", json.dumps(row))
    stored = Activation.objects.get(id="act-1")
    assert stored.tokens == ["a", None]
    assert stored.values == [1e-7, -2500.0, 0.0, 1.0, 3.0]
    assert stored.loss_values == [None, 0.5]
    assert stored.z_q_indices == [1, 2]


def test_blank_lines_crlf_and_a_last_line_without_newline(tmp_path: Path, feature: Feature) -> None:
    rows = [json.dumps(_activation(id=f"act-{i}")) for i in range(3)]
    result = _load(tmp_path, "Activation", "\n" + rows[0] + "\r\n\n  \n" + rows[1] + "\n" + rows[2])
    assert (result.rows, result.inserted) == (3, 3)
    assert Activation.objects.count() == 3


def test_a_row_without_id_gets_a_stable_one_and_loads_once(
    tmp_path: Path, feature: Feature
) -> None:
    row = {"modelId": "gpt2-small", "layer": "6-res-jb", "index": "0", "description": "cats"}
    line = json.dumps(row)
    first = _load(tmp_path, "Explanation", line + "\n", name="a")
    second = _load(tmp_path, "Explanation", line + "\n", name="b")  # another file, same row
    assert (first.inserted, second.inserted) == (1, 0)
    explanation = Explanation.objects.get()
    assert explanation.id == content_id(line) and len(explanation.id) == 25
    assert explanation.author_id == BOT  # the model's default


def test_vectors_given_as_lists_are_stored(tmp_path: Path, feature: Feature) -> None:
    row = {"id": "exp-1", "modelId": "gpt2-small", "layer": "6-res-jb", "index": "0",
           "description": "d", "embedding": [0.5] * 256}  # fmt: skip
    _load(tmp_path, "Explanation", json.dumps(row))
    assert list(Explanation.objects.get(id="exp-1").embedding) == [0.5] * 256


def test_a_plain_jsonl_file_loads_too(tmp_path: Path, feature: Feature) -> None:
    result = _load(tmp_path, "Activation", json.dumps(_activation()), gz=False)
    assert result.rows == 1


def test_an_empty_file_loads_nothing(tmp_path: Path) -> None:
    assert _load(tmp_path, "Activation", "\n\n").rows == 0
    empty = tmp_path / "empty.jsonl.gz"
    empty.write_bytes(b"")
    with transaction.atomic():
        assert load_file(lambda: empty.open("rb"), "empty", "Activation", Catalog()).rows == 0


def test_a_gzip_of_several_members_is_read_to_the_end(tmp_path: Path, feature: Feature) -> None:
    rows = [json.dumps(_activation(id=f"act-{i}")) + "\n" for i in range(3)]
    path = tmp_path / "members.jsonl.gz"
    path.write_bytes(b"".join(gzip.compress(r.encode()) for r in rows))  # like `cat a.gz b.gz`
    with transaction.atomic():
        result = load_file(lambda: path.open("rb"), path.name, "Activation", Catalog())
    assert result.rows == 3 and Activation.objects.count() == 3


def test_the_first_line_must_be_an_object(tmp_path: Path) -> None:
    with pytest.raises(FileError, match="f.jsonl.gz: row 1: expected a JSON object"):
        _load(tmp_path, "Activation", "[1, 2]\n")


def test_columns_are_every_column_and_later_keys_are_used(feature: Feature) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        columns = table_columns(cursor, "Activation")
    catalog = Catalog()
    formatter = RowFormatter.plan(
        "Activation", {"id": "x"}, columns, catalog.defaults("Activation"), "2024-01-01"
    )
    assert set(formatter.names) == set(columns)
    text = formatter.format_chunk(json.dumps(_activation(qualifyingTokenIndex=4)) + "\n")
    fields = dict(zip(formatter.names, text.rstrip("\n").split("\t"), strict=True))
    assert fields["qualifyingTokenIndex"] == "4"  # not in the first row, still loaded
    assert fields["binMin"] == "\\N"  # nullable and absent: NULL
    assert fields["dfaValues"] == "{}"  # NOT NULL and absent: the default
    assert fields["createdAt"] == "2024-01-01"  # the time of the import
    # rows are counted across chunks, so errors name the row of the file
    with pytest.raises(RowError, match="row 3: invalid JSON"):
        formatter.format_chunk('{"id": "y"}\n{"id": \n')
