"""`manage.py load_demo` (run by `serve` / `make run`): the demo rows from an empty database."""

from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from features.models import Activation, Explanation, Feature, Model, Source, SourceSet
from importer.demo import load_demo
from tests.support.demo_exports import PACK

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        Model.objects.count(),
        SourceSet.objects.count(),
        Source.objects.count(),
        Feature.objects.count(),
        Activation.objects.count(),
        Explanation.objects.count(),
    )


def test_it_creates_the_demo_rows_from_an_empty_database() -> None:
    assert _counts() == (0, 0, 0, 0, 0, 0)
    out = StringIO()
    call_command("load_demo", stdout=out)

    manifest = json.loads((PACK / "manifest.json").read_text())
    model = Model.objects.get(id="demo-lm")
    assert model.visibility == "PUBLIC" and model.inference_enabled
    assert (model.dimension, model.layers) == (manifest["d_model"], manifest["n_layers"])
    assert model.default_source_id == "1-res-demo"
    assert SourceSet.objects.get(model=model, name="res-demo").visibility == "PUBLIC"
    assert SourceSet.objects.get(model=model, name="tc-demo").visibility == "PUBLIC"
    # the SAEs, and the per-layer transcoders the attribution graphs' nodes point at
    for source in manifest["sources"] + manifest["transcoders"]:
        row = Source.objects.get(model=model, source_id=source["id"])
        assert row.visibility == "PUBLIC" and row.inference_enabled and row.has_dashboards
        assert Feature.objects.filter(model=model, layer=source["id"]).count() == source["d_sae"]
        assert (
            Activation.objects.filter(model=model, layer=source["id"]).count()
            > 30 * source["d_sae"]
        )
        # a feature without examples in the dashboards' corpus gets no explanation (3 % of
        # layer 0's fire only where the SAEs' packed training rows put a second document
        # after a first: demo_pack/README.md)
        explained = Explanation.objects.filter(model=model, layer=source["id"]).count()
        assert 0.95 * source["d_sae"] <= explained <= source["d_sae"]
    dino = manifest["topic_features"]["dinosaurs"]
    explanation = Explanation.objects.get(
        model=model, layer=dino["recommended_source"], index=str(dino["index"])
    )
    assert explanation.description.startswith("dinosaurs: ")
    assert "0-res-demo" in out.getvalue() and "1-res-demo" in out.getvalue()


def test_it_is_idempotent_and_a_second_run_is_fast() -> None:
    call_command("load_demo", stdout=StringIO())
    before = _counts()
    with CaptureQueriesContext(connection) as queries:
        summary = load_demo()
    assert len(queries) <= 8  # two per source: nothing is read from the files again
    assert _counts() == before
    assert summary.count("already loaded") == 4  # 2 SAEs, 2 transcoders


def test_a_pack_without_dashboards_still_gets_its_rows(tmp_path: Path) -> None:
    pack = tmp_path / "demo-lm"
    pack.mkdir()
    shutil.copy(PACK / "manifest.json", pack / "manifest.json")
    summary = load_demo(pack)
    assert "no dashboards" in summary
    model: Any = Model.objects.get(id="demo-lm")
    assert model.visibility == "PUBLIC" and model.inference_enabled and model.dimension == 128
    assert set(Source.objects.values_list("source_id", flat=True)) == {
        "0-res-demo",
        "1-res-demo",
        "0-tc-demo",
        "1-tc-demo",
    }
    assert not Feature.objects.exists()
