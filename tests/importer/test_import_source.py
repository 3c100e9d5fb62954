"""Importing one source from S3 (moto on 127.0.0.1): rows and values match the files."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from features.models import (
    Activation,
    EvalType,
    Explanation,
    ExplanationType,
    Feature,
    Model,
    Source,
    SourceRelease,
    SourceSet,
)
from importer import jobs
from importer.copytext import content_id
from importer.models import ImportFile, ImportJob
from tests.support.exportgen import Export

pytestmark = pytest.mark.django_db


def _import(location: str, source_id: str = "6-res-jb", **kwargs: Any) -> ImportJob:
    job, run = jobs.prepare_import("gpt2-small", source_id, location=location, **kwargs)
    assert run
    return jobs.run_job(job.pk)


def _tokens(row: dict[str, Any]) -> list[str]:
    return [t.replace("\x00", " ") for t in row["tokens"]]


def test_it_imports_every_table_with_the_counts_of_the_files(
    use_moto: str, s3_export: tuple[str, Export]
) -> None:
    location, export = s3_export
    switch_interval = sys.getswitchinterval()
    job = _import(location)
    assert job.state == ImportJob.State.DONE, job.error
    assert sys.getswitchinterval() == switch_interval  # COPY shortens it only while it runs
    rows = export.rows["6-res-jb"]
    features = Feature.objects.filter(model_id="gpt2-small", layer="6-res-jb")
    assert features.count() == len(rows["Neuron"]) == 6
    activations = Activation.objects.filter(model_id="gpt2-small", layer="6-res-jb")
    assert activations.count() == len(rows["Activation"]) == 18
    explanations = Explanation.objects.filter(model_id="gpt2-small", layer="6-res-jb")
    assert explanations.count() == len(rows["Explanation"]) == 6
    assert Model.objects.get(id="gpt2-small").display_name == "GPT-2 Small"
    assert SourceSet.objects.get(model_id="gpt2-small", name="res-jb").release_id == "test-release"
    assert SourceRelease.objects.filter(name="test-release").exists()
    source = Source.objects.get(model_id="gpt2-small", source_id="6-res-jb")
    assert source.saelens_config == {
        "d_sae": 24576,
        "hook_name": "blocks.6.hook_resid_pre",
        "scale": 1.5,
    }
    assert source.num_tokens_in_prompt == 128
    # the other sources of the bucket were not touched
    assert not Feature.objects.filter(layer="2-res-jb").exists()
    assert job.rows_done == sum(f.rows for f in job.files.all())
    assert job.report["complete"] is True
    assert job.report["tables"]["Activation"] == {
        "files": 2,
        "filesDone": 2,
        "expected": 18,
        "inserted": 18,
        "present": 18,
        "missing": 0,
    }


def test_rows_per_file_are_recorded_and_subfolders_are_ignored(
    use_moto: str, s3_export: tuple[str, Export]
) -> None:
    location, _ = s3_export
    job = _import(location)
    files = {f.path: f for f in job.files.all()}
    assert "v1" not in "".join(files)  # paths are relative to the dataset root
    assert not any("/old/" in p for p in files)
    assert files["gpt2-small/6-res-jb/activations/batch-0.jsonl.gz"].rows == 12
    assert files["gpt2-small/6-res-jb/activations/batch-1.jsonl.gz"].rows == 6
    assert files["config/explanation_type.jsonl"].rows == 2
    assert all(f.state == ImportFile.State.DONE and f.finished_at for f in files.values())
    order = [f.table for f in job.files.order_by("order")]
    assert order.index("Source") < order.index("Neuron") < order.index("Activation")
    assert order.index("Activation") < order.index("Explanation")


def test_activation_values_match_the_file_exactly(
    use_moto: str, s3_export: tuple[str, Export]
) -> None:
    location, export = s3_export
    _import(location)
    for row in export.rows["6-res-jb"]["Activation"]:
        stored = Activation.objects.get(id=row["id"])
        assert stored.tokens == _tokens(row)
        assert stored.values == [float(v) for v in row["values"]]
        assert stored.max_value == row["maxValue"]
        assert stored.max_value_token_index == row["maxValueTokenIndex"]
        assert stored.creator_id == row["creatorId"]
        assert stored.data_source == "monology/pile"
        assert stored.bin_min == row["binMin"]
        assert stored.dfa_values == []


def test_tricky_tokens_survive_the_copy_text_format(
    use_moto: str, s3_export: tuple[str, Export]
) -> None:
    location, _ = s3_export
    _import(location)
    stored = {t for a in Activation.objects.all() for t in a.tokens}
    assert {
        "a b",
        ' "quoted"',
        "back\\slash",
        "tab\there",
        "new\nline",
        "{brace}",
        "a,b",
        "NULL",
        "",
        " über 日本",
        "\\u0000 literal",
    } <= stored
    assert not any("\x00" in t for t in stored)


def test_z_indices_are_split_into_k_and_q(use_moto: str, s3_export: tuple[str, Export]) -> None:
    location, export = s3_export
    _import(location)
    row = next(r for r in export.rows["6-res-jb"]["Activation"] if "zIndices" in r)
    stored = Activation.objects.get(id=row["id"])
    assert stored.z_k_indices == [1, 2]  # zIndices[0]
    assert stored.z_q_indices == [3, 4, 5]  # zIndices[1]
    assert stored.z_values == [0.25, -0.5]
    plain = next(r for r in export.rows["6-res-jb"]["Activation"] if "zIndices" not in r)
    other = Activation.objects.get(id=plain["id"])
    assert other.z_k_indices == [] and other.z_q_indices == []


def test_missing_and_null_values_get_the_model_defaults(
    use_moto: str, s3_export: tuple[str, Export]
) -> None:
    location, export = s3_export
    job = _import(location)
    late = next(r for r in export.rows["6-res-jb"]["Activation"] if "createdAt" in r)
    stored = Activation.objects.get(id=late["id"])
    assert stored.created_at.isoformat() == "2024-01-02T03:04:05.678000+00:00"
    assert stored.dfa_values == []  # null in the file
    assert stored.loss_values == [0.5] * 12
    assert stored.qualifying_token_index == 3
    assert json.loads(stored.logit_contributions) == {"pos": [1.0], "neg": []}
    first = export.rows["6-res-jb"]["Activation"][0]
    plain = Activation.objects.get(id=first["id"])
    assert plain.loss_values == []
    assert plain.created_at >= job.started_at  # createdAt absent: the time of the import


def test_features_keep_arrays_and_ignore_unknown_keys(
    use_moto: str, s3_export: tuple[str, Export]
) -> None:
    location, export = s3_export
    _import(location)
    row = export.rows["6-res-jb"]["Neuron"][2]
    stored = Feature.objects.get(model_id="gpt2-small", layer="6-res-jb", index="2")
    assert stored.neg_str == row["neg_str"]
    assert stored.pos_str == row["pos_str"]
    assert stored.pos_values == [2.5, 1.0, 0.0]
    assert stored.freq_hist_data_bar_values == [0.1, 0.2, 1e-05]
    assert stored.neuron_alignment_indices == [2, 7]
    assert stored.topk_cos_sim_indices == [3, 4]
    assert stored.frac_nonzero == pytest.approx(0.003)
    assert stored.source_set_name == "res-jb"
    assert stored.correlated_features_indices == []  # not in the file: default


def test_explanations_keep_embeddings_and_get_stable_ids(
    use_moto: str, s3_export: tuple[str, Export]
) -> None:
    location, export = s3_export
    _import(location)
    rows = export.rows["6-res-jb"]["Explanation"]
    with_embedding = Explanation.objects.get(id=rows[0]["id"])
    expected = [float(x) for x in rows[0]["embedding"].strip("[]").split(",")]
    assert list(with_embedding.embedding) == pytest.approx(expected, abs=1e-6)
    assert with_embedding.description == rows[0]["description"]
    assert with_embedding.type_name_id == "oai_token-act-pair"
    assert Explanation.objects.get(id=rows[3]["id"]).embedding is None
    # the row without an id got one from its content
    line = json.dumps(rows[1])
    assert Explanation.objects.get(id=content_id(line)).index == "1"


def test_config_tables_are_upserted_by_name(use_moto: str, s3_export: tuple[str, Export]) -> None:
    location, _ = s3_export
    ExplanationType.objects.update_or_create(
        name="oai_token-act-pair", defaults={"display_name": "old name"}
    )
    _import(location)
    assert ExplanationType.objects.get(name="oai_token-act-pair").display_name == (
        "OpenAI token/act pairs"
    )
    assert EvalType.objects.get(name="sae_bench").output_schema == {
        "type": "object",
        "scale": 0.5,
    }


def test_existing_metadata_is_never_overwritten(
    use_moto: str, s3_export: tuple[str, Export]
) -> None:
    location, _ = s3_export
    Model.objects.create(id="gpt2-small", display_name="My GPT-2", layers=12)
    _import(location)
    assert Model.objects.get(id="gpt2-small").display_name == "My GPT-2"


def test_explanations_only_and_false(use_moto: str, s3_export: tuple[str, Export]) -> None:
    location, _ = s3_export
    job = _import(location, explanations="false")
    assert {f.table for f in job.files.all()} >= {"Neuron", "Activation"}
    assert not job.files.filter(table="Explanation").exists()
    assert not Explanation.objects.exists()
    job = _import(location, explanations="only", resync=True)
    assert job.state == ImportJob.State.DONE, job.error
    assert set(job.files.values_list("table", flat=True)) == {
        "ExplanationModelType",
        "ExplanationType",
        "ExplanationScoreModel",
        "ExplanationScoreType",
        "EvalType",
        "Explanation",
    }
    assert Explanation.objects.count() == 6


def test_a_second_source_of_the_same_model_imports_next_to_the_first(
    use_moto: str, s3_export: tuple[str, Export]
) -> None:
    location, _ = s3_export
    _import(location, "6-res-jb")
    job = _import(location, "4-att-kk")
    assert job.state == ImportJob.State.DONE, job.error
    assert Feature.objects.filter(layer="4-att-kk").count() == 6
    assert SourceSet.objects.filter(model_id="gpt2-small").count() == 2
    assert Activation.objects.count() == 36


def test_the_loaded_tables_are_analyzed(use_moto: str, s3_export: tuple[str, Export]) -> None:
    from django.db import connection

    location, export = s3_export
    job = _import(location)
    assert job.state == ImportJob.State.DONE, job.error
    rows = export.rows["6-res-jb"]
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT relname, reltuples FROM pg_class
               WHERE oid IN ('"Activation"'::regclass, '"Neuron"'::regclass)"""
        )
        estimates = dict(cursor.fetchall())
    # COPY alone leaves reltuples at -1 (never analysed) on a new table; ANALYZE of a table
    # this small reads every row, so the estimate is the count.
    assert estimates == {"Activation": len(rows["Activation"]), "Neuron": len(rows["Neuron"])}
