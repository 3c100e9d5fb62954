"""Loading an export directory into the database (`load_export_dir`, the path `--load` takes)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from features.models import (
    Activation,
    Explanation,
    ExplanationModelType,
    ExplanationType,
    Feature,
    Model,
    Source,
    SourceSet,
)
from importer.local_export import LoadError, load_export_dir
from neuronpedia_format import export as fmt
from neuronpedia_format.users import BOT_USER_ID
from tests.support.demo_exports import SOURCE, topic_feature

pytestmark = pytest.mark.django_db

DINO = topic_feature("dinosaurs")


def test_it_loads_every_row_of_the_export(small_export: tuple[Any, Any]) -> None:
    config, result = small_export
    loaded = load_export_dir(config.out, "demo-lm", SOURCE)

    export = fmt.read_source_export(config.out, "demo-lm", SOURCE)
    # 2 config rows, model, source set, source, then the batches
    assert loaded.rows == 2 + 3 + result.features + result.activations + result.explanations
    model = Model.objects.get(id="demo-lm")
    assert (model.visibility, model.inference_enabled, model.dimension, model.layers) == (
        "PUBLIC",
        True,
        128,
        2,
    )
    assert SourceSet.objects.get(model=model, name="res-demo").has_dashboards
    source = Source.objects.get(model=model, source_id=SOURCE)
    assert source.inference_enabled and source.visibility == "PUBLIC"
    assert source.saelens_config["metadata"]["hook_name"] == "blocks.1.hook_resid_post"
    assert Feature.objects.filter(model=model, layer=SOURCE).count() == result.features
    assert Activation.objects.filter(model=model, layer=SOURCE).count() == result.activations
    assert Explanation.objects.filter(model=model, layer=SOURCE).count() == result.explanations
    assert ExplanationType.objects.filter(name="np_offline-max-act").exists()
    assert ExplanationModelType.objects.filter(name="np-offline").exists()

    feature = Feature.objects.get(model=model, layer=SOURCE, index=str(DINO))
    row = export.feature(DINO)
    assert feature.max_act_approx == row["maxActApprox"]
    assert feature.pos_str == row["pos_str"] and feature.topk_cos_sim_indices[0] == DINO
    assert feature.frac_nonzero == pytest.approx(row["frac_nonzero"])
    examples = Activation.objects.filter(model=model, layer=SOURCE, index=str(DINO))
    top = examples.order_by("-max_value", "bin_min").first()
    assert top is not None and top.creator_id == BOT_USER_ID and top.bin_min == -1
    same = [
        a
        for a in export.activations_of(DINO)
        if (a["maxValue"], a["binMin"]) == (top.max_value, -1)
    ]
    assert [top.tokens, top.values, top.data_index] in [
        [a["tokens"], a["values"], a["dataIndex"]] for a in same
    ]
    explanation = Explanation.objects.get(model=model, layer=SOURCE, index=str(DINO))
    assert explanation.type_name_id == "np_offline-max-act"
    assert explanation.description == export.explanations_of(DINO)[0]["description"]


def test_loading_twice_adds_nothing_and_keeps_operator_edits(
    small_export: tuple[Any, Any],
) -> None:
    config, _ = small_export
    load_export_dir(config.out, "demo-lm", SOURCE)
    Model.objects.filter(id="demo-lm").update(visibility="UNLISTED")
    counts = [Feature.objects.count(), Activation.objects.count(), Explanation.objects.count()]
    load_export_dir(config.out, "demo-lm", SOURCE)
    assert [Feature.objects.count(), Activation.objects.count(), Explanation.objects.count()] == (
        counts
    )
    assert Model.objects.get(id="demo-lm").visibility == "UNLISTED"  # created if absent only


def test_a_broken_file_is_refused_and_loads_nothing(
    small_export: tuple[Any, Any], tmp_path: Path
) -> None:
    config, _ = small_export
    shutil.copytree(config.out, tmp_path / "copy")
    base = fmt.source_dir(tmp_path / "copy", "demo-lm", SOURCE)
    (base / "activations" / "batch-0.jsonl.gz").write_bytes(b"\x1f\x8b broken")
    with pytest.raises(LoadError):
        load_export_dir(tmp_path / "copy", "demo-lm", SOURCE)
    # the importer stops at the broken file: no activation row was loaded
    assert not Activation.objects.filter(layer=SOURCE).exists()
    with pytest.raises(LoadError, match="no export"):
        load_export_dir(tmp_path / "copy", "demo-lm", "7-res-demo")
