"""Re-syncing a source goes over every file again: it adds what is missing and never
duplicates a row."""

from __future__ import annotations

import pytest

from features.models import Activation, Explanation, Feature
from importer import jobs
from importer.models import ImportJob
from tests.support.exportgen import Export

pytestmark = pytest.mark.django_db


def _run(location: str, resync: bool = False) -> tuple[ImportJob, bool]:
    job, run = jobs.prepare_import("gpt2-small", "6-res-jb", location=location, resync=resync)
    if run:
        job = jobs.run_job(job.pk)
    return job, run


def _counts() -> tuple[int, int, int]:
    return Feature.objects.count(), Activation.objects.count(), Explanation.objects.count()


def test_a_resync_of_an_imported_source_adds_nothing(
    use_moto: str, s3_export: tuple[str, Export]
) -> None:
    location, _ = s3_export
    first, _ = _run(location)
    assert _counts() == (6, 18, 6)
    second, run = _run(location, resync=True)
    assert run and second.pk != first.pk and second.resync
    assert second.state == ImportJob.State.DONE, second.error
    assert _counts() == (6, 18, 6)
    bulk = second.files.filter(table__in=["Neuron", "Activation", "Explanation"])
    assert [f.inserted for f in bulk] == [0] * bulk.count()
    # config and metadata rows are upserted: updating a stored row is not a new one
    assert second.rows_inserted == 0
    assert second.report["complete"] is True
    assert second.report["tables"]["Activation"]["expected"] == 18


def test_a_resync_puts_back_deleted_rows_exactly_once(
    use_moto: str, s3_export: tuple[str, Export]
) -> None:
    location, export = s3_export
    _run(location)
    rows = export.rows["6-res-jb"]
    gone = [rows["Activation"][0]["id"], rows["Activation"][7]["id"]]
    Activation.objects.filter(id__in=gone).delete()
    Feature.objects.filter(layer="6-res-jb", index="5").delete()  # cascades to its rows
    assert _counts() == (5, 13, 5)
    job, _ = _run(location, resync=True)
    assert job.state == ImportJob.State.DONE, job.error
    assert _counts() == (6, 18, 6)
    assert set(Activation.objects.values_list("id", flat=True)) == {
        r["id"] for r in rows["Activation"]
    }
    assert job.rows_inserted >= 1 + 5 + 1


def test_importing_an_imported_source_again_is_a_no_op(
    use_moto: str, s3_export: tuple[str, Export]
) -> None:
    location, _ = s3_export
    first, _ = _run(location)
    again, run = _run(location)
    assert not run and again.pk == first.pk
    assert ImportJob.objects.count() == 1
    assert _counts() == (6, 18, 6)


def test_rows_a_file_shares_with_the_table_are_merged(
    use_moto: str, s3_export: tuple[str, Export]
) -> None:
    """A first import into a table that already holds some of the file's rows (e.g. from a
    Neuronpedia-style import) keeps them and adds the rest."""
    location, export = s3_export
    job, _ = _run(location)
    keep = export.rows["6-res-jb"]["Activation"][3]["id"]
    Activation.objects.exclude(id=keep).delete()
    ImportJob.objects.all().delete()  # no checkpoints left: a fresh job
    job, run = _run(location)
    assert run and job.state == ImportJob.State.DONE, job.error
    assert _counts() == (6, 18, 6)
    batch0 = job.files.get(path__endswith="activations/batch-0.jsonl.gz")
    assert (batch0.rows, batch0.inserted) == (12, 11)
