"""Listing exports through each reader: S3 (moto), a directory, and http(s) (S3 listing or an
HTML index). One level at a time; `activations/old/` is a folder, never a batch."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest

from importer import exports
from importer.locations import (
    LocationError,
    ReaderOptions,
    open_location,
    register_reader,
    scheme_of,
)
from neuronpedia_format.layout import CONFIG_FILES
from tests.support.exportgen import Export


@pytest.fixture(params=["s3", "directory", "http-index", "http-s3"])
def location(
    request: pytest.FixtureRequest,
    moto_endpoint: str,
    s3_export: tuple[str, Export],
    export_dir: tuple[Path, Export],
    http_export: str,
) -> tuple[str, ReaderOptions]:
    if request.param == "s3":
        return s3_export[0], ReaderOptions(endpoint_url=moto_endpoint)
    if request.param == "directory":
        return str(export_dir[0]), ReaderOptions()
    if request.param == "http-index":
        return http_export, ReaderOptions()
    # the bucket's REST listing over plain HTTP, path-style (host/bucket/prefix)
    return f"{moto_endpoint}/neuronpedia-datasets/v1", ReaderOptions()


def test_models_and_sources_are_listed_grouped_and_sorted(location: tuple[str, Any]) -> None:
    reader = open_location(*location)
    root = exports.dataset_root(reader)
    assert exports.list_models(reader, root) == ["gpt2-small"]
    entries = exports.list_sources(reader, root, "gpt2-small")
    groups = exports.group_by_set(entries)
    assert list(groups) == ["att-kk", "res-jb"]
    assert [e.source_id for e in groups["res-jb"]] == ["2-res-jb", "6-res-jb"]  # by layer
    assert [e.layer for e in groups["res-jb"]] == [2, 6]


def test_a_source_plan_lists_batches_in_order_without_subfolders(
    location: tuple[str, Any],
) -> None:
    reader = open_location(*location)
    plan = exports.plan_source(reader, exports.dataset_root(reader), "gpt2-small", "6-res-jb")
    paths = [p.path for p in plan]
    assert paths[:5] == [f"config/{name}" for name in CONFIG_FILES]
    assert paths[5:9] == [
        "gpt2-small/6-res-jb/release.jsonl",
        "gpt2-small/6-res-jb/model.jsonl",
        "gpt2-small/6-res-jb/sourceset.jsonl",
        "gpt2-small/6-res-jb/source.jsonl",
    ]
    assert [p for p in paths if "/activations/" in p] == [
        "gpt2-small/6-res-jb/activations/batch-0.jsonl.gz",
        "gpt2-small/6-res-jb/activations/batch-1.jsonl.gz",
    ]
    assert {p.table for p in plan if "/features/" in p.path} == {"Neuron"}


def test_files_are_read_as_streams(
    location: tuple[str, Any], export_dir: tuple[Path, Export]
) -> None:
    reader = open_location(*location)
    root = exports.dataset_root(reader)
    path = "gpt2-small/6-res-jb/features/batch-0.jsonl.gz"
    with reader.open(f"{root}/{path}".lstrip("/")) as stream:
        data = stream.read()
    assert gzip.decompress(data) == gzip.decompress((export_dir[0] / path).read_bytes())


def test_sizes_come_with_s3_listings(moto_endpoint: str, s3_export: tuple[str, Export]) -> None:
    reader = open_location(s3_export[0], ReaderOptions(endpoint_url=moto_endpoint))
    listing = reader.list_dir("gpt2-small/6-res-jb/activations")
    assert listing.dirs == ["old"]
    assert [f.path for f in listing.files] == [
        "gpt2-small/6-res-jb/activations/batch-0.jsonl.gz",
        "gpt2-small/6-res-jb/activations/batch-1.jsonl.gz",
    ]
    assert all(f.size > 0 and f.etag for f in listing.files)


def test_the_bucket_root_descends_into_v1(
    moto_endpoint: str, s3_export: tuple[str, Export]
) -> None:
    reader = open_location("s3://neuronpedia-datasets", ReaderOptions(endpoint_url=moto_endpoint))
    root = exports.dataset_root(reader)
    assert root == "v1"
    assert exports.list_models(reader, root) == ["gpt2-small"]


def test_a_missing_source_is_a_location_error(export_dir: tuple[Path, Export]) -> None:
    reader = open_location(str(export_dir[0]))
    with pytest.raises(LocationError, match="no export at gpt2-small/99-nope/"):
        exports.plan_source(reader, "", "gpt2-small", "99-nope")


def test_bad_locations_are_explained(tmp_path: Path) -> None:
    with pytest.raises(LocationError, match="no such directory"):
        open_location(str(tmp_path / "missing"))
    with pytest.raises(LocationError, match="Unknown location scheme 'ftp://'"):
        open_location("ftp://example.com/x")
    with pytest.raises(LocationError, match="expected s3://bucket/prefix"):
        open_location("s3://")
    assert scheme_of("/data/exports") == "file"
    assert scheme_of("S3://b/p") == "s3"


def test_a_scheme_cannot_be_registered_twice() -> None:
    open_location("/")  # registers the built-in readers
    with pytest.raises(ValueError, match="already registered"):
        register_reader("s3", lambda location, options: None)
