"""The import panel at /admin/importer/ and the JSON it reads: the bucket tree with
"x of y imported", actions, live progress (rows/s, ETA) and the completeness report."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from features.models import Feature
from importer import jobs, status
from importer.models import ImportJob
from tests.support.exportgen import Export
from tests.support.importer import wait_for_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_account: Any) -> Client:
    client = Client()
    client.force_login(admin_account.user)
    return client


def test_the_panel_is_the_admin_page_of_the_importer(staff: Client) -> None:
    response = staff.get("/admin/importer/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Import Neuronpedia datasets" in html
    assert 'data-status-url="/api/admin/importer/status"' in html
    assert "importer/panel.js" in html and "csrfmiddlewaretoken" in html
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/") for src in scripts)  # no CDN
    assert "Import jobs" in html  # the admin's own list of jobs stays reachable


def test_the_panel_is_for_staff_only(alice: Any) -> None:
    anonymous = Client().get("/admin/importer/")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    client = Client()
    client.force_login(alice.user)
    assert client.get("/admin/importer/").status_code == 302
    assert alice.client().get("/api/admin/importer/status").status_code == 403
    assert Client().get("/api/admin/importer/status").status_code == 401


def test_the_tree_groups_sources_by_set_with_what_is_imported(
    staff: Client, s3_export: tuple[str, Export], use_moto: str
) -> None:
    location = s3_export[0]
    models = staff.post(
        "/api/admin/importer/tree", {"from": location}, content_type="application/json"
    ).json()
    assert models == {"location": location, "models": ["gpt2-small"]}
    jobs.run_job(jobs.prepare_import("gpt2-small", "6-res-jb", location=location)[0].pk)
    tree = staff.post(
        "/api/admin/importer/tree",
        {"from": location, "modelId": "gpt2-small"},
        content_type="application/json",
    )
    sets = {s["name"]: s for s in tree.json()["sets"]}
    assert list(sets) == ["att-kk", "res-jb"]
    assert (sets["res-jb"]["imported"], sets["res-jb"]["total"]) == (1, 2)
    assert [(s["id"], s["layer"], s["state"]) for s in sets["res-jb"]["sources"]] == [
        ("2-res-jb", 2, "new"),
        ("6-res-jb", 6, "imported"),
    ]


@pytest.mark.django_db(transaction=True)
def test_import_resync_and_import_all_in_set(
    importer_worker: Any, staff: Client, s3_export: tuple[str, Export]
) -> None:
    body = {"modelId": "gpt2-small", "sourceId": "6-res-jb", "from": s3_export[0]}
    first = staff.post("/api/admin/importer/jobs", body, content_type="application/json")
    assert first.status_code == 202
    done = wait_for_job(first.json()["id"])
    assert (done.state, status.job_status(done)["progress"]) == ("done", 1.0)
    again = staff.post("/api/admin/importer/jobs", body, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    resync = staff.post(
        "/api/admin/importer/jobs", {**body, "resync": True}, content_type="application/json"
    )
    assert resync.status_code == 202 and resync.json()["id"] != first.json()["id"]
    assert wait_for_job(resync.json()["id"]).state == "done"
    assert Feature.objects.filter(layer="6-res-jb").count() == 6

    whole_set = staff.post(
        "/api/admin/importer/jobs/set",
        {"modelId": "gpt2-small", "setName": "res-jb", "from": s3_export[0]},
        content_type="application/json",
    )
    assert whole_set.status_code == 202 and len(whole_set.json()["started"]) == 1  # 2-res-jb
    assert wait_for_job(whole_set.json()["started"][0]).state == "done"
    assert Feature.objects.filter(layer="2-res-jb").count() == 6


def test_the_job_page_has_files_and_the_completeness_report(
    admin_account: Any, s3_export: tuple[str, Export], use_moto: str
) -> None:
    job = jobs.run_job(jobs.prepare_import("gpt2-small", "6-res-jb", location=s3_export[0])[0].pk)
    Feature.objects.filter(layer="6-res-jb", index="0").delete()  # lose some rows
    data = admin_account.client().get(f"/api/admin/importer/jobs/{job.pk}?verify=1").json()
    assert data["report"]["complete"] is False
    assert data["report"]["newFiles"] == []
    assert data["report"]["tables"]["Neuron"]["missing"] == 1
    assert data["report"]["tables"]["Activation"]["missing"] == 3
    assert len(data["files"]) == job.files_total
    assert data["files"][-1]["rows"] == 2


def test_live_progress_has_rows_per_second_and_an_eta() -> None:
    job = ImportJob.objects.create(
        location="/x", model_id="m", source_id="1-s", state="running", files_total=10,
        bytes_total=1000,
    )  # fmt: skip
    with jobs._job_lock(job.pk):  # as the worker running it
        cache.set(
            jobs._live_key(job.pk),
            {"file": "m/1-s/activations/batch-3.jsonl.gz", "filesDone": 4, "rowsDone": 5000,
             "bytesDone": 250, "rowsPerSecond": 2500.0, "bytesPerSecond": 50.0, "at": 0},
        )  # fmt: skip
        data = status.job_status(job)
        assert data["displayState"] == "running"
        assert (data["progress"], data["rowsPerSecond"], data["etaSeconds"]) == (0.25, 2500.0, 15)
        assert data["progressText"] == (
            "(4 of 10 files) · m/1-s/activations/batch-3.jsonl.gz · 5,000 rows · "
            "2,500 rows/s · ETA 15s"
        )
        assert status.overview()["active"][0]["rowsDone"] == 5000
    # the lock is gone (its worker died): interrupted, and importing again resumes it
    assert status.job_status(job)["displayState"] == "interrupted"


@pytest.mark.django_db(transaction=True)
def test_sync_config_from_the_panel(
    importer_worker: Any, staff: Client, s3_export: tuple[str, Export]
) -> None:
    response = staff.post(
        "/api/admin/importer/config", {"from": s3_export[0]}, content_type="application/json"
    )
    assert response.status_code == 202
    assert wait_for_job(response.json()["id"]).state == "done"


def test_actions_need_a_worker(staff: Client, s3_export: tuple[str, Export]) -> None:
    response = staff.post(
        "/api/admin/importer/jobs",
        {"modelId": "gpt2-small", "sourceId": "6-res-jb", "from": s3_export[0]},
        content_type="application/json",
    )
    assert response.status_code == 503
    assert "run_worker" in response.json()["error"]
    assert not ImportJob.objects.exists()


def test_a_location_that_does_not_exist_is_a_400(
    staff: Client, tmp_path: Any, settings: Any
) -> None:
    settings.IMPORT_LOCAL_ROOTS = [tmp_path]
    response = staff.post(
        "/api/admin/importer/tree",
        {"from": str(tmp_path / "nope")},
        content_type="application/json",
    )
    assert response.status_code == 400 and "no such directory" in response.json()["error"]
