"""The admin panel's readers cannot be driven cross-site: listing a location is a POST that
needs the session's CSRF token, and a local directory must lie under IMPORT_LOCAL_ROOTS,
whichever endpoint names it (tree, start, start set, config sync)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from importer.models import ImportJob
from tests.support.exportgen import Export

pytestmark = pytest.mark.django_db

TREE = "/api/admin/importer/tree"


@pytest.fixture
def staff(admin_account: Any) -> Client:
    client = Client()
    client.force_login(admin_account.user)
    return client


@pytest.fixture
def allowed_export(export_dir: tuple[Path, Export], settings: Any) -> str:
    """The standard export, in a directory the panel may read; IMPORT_FROM is elsewhere."""
    settings.IMPORT_LOCAL_ROOTS = [export_dir[0]]
    settings.IMPORT_FROM = "s3://neuronpedia-datasets/v1"
    return str(export_dir[0])


def _post(client: Client, url: str, body: dict[str, Any], **extra: Any) -> Any:
    return client.post(url, body, content_type="application/json", **extra)


def test_listing_is_not_a_get(staff: Client, allowed_export: str) -> None:
    response = staff.get(TREE, {"from": allowed_export})
    assert response.status_code == 405
    assert response.json()["error"] == response.json()["message"]


def test_listing_needs_the_sessions_csrf_token(admin_account: Any, allowed_export: str) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_account.user)
    refused = _post(browser, TREE, {"from": allowed_export})
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    browser.get("/admin/importer/")  # the panel page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    answered = _post(browser, TREE, {"from": allowed_export}, HTTP_X_CSRFTOKEN=token)
    assert answered.status_code == 200
    assert answered.json() == {"location": allowed_export, "models": ["gpt2-small"]}


@pytest.mark.parametrize(
    "location",
    ["/etc", "file:///etc", "file:///etc/../etc", "{root}/../..", "file://{root}/../../etc", "~"],
)
def test_a_directory_outside_the_roots_is_refused(
    staff: Client, allowed_export: str, location: str
) -> None:
    response = _post(staff, TREE, {"from": location.format(root=allowed_export)})
    assert response.status_code == 403
    assert "IMPORT_LOCAL_ROOTS" in response.json()["error"]


def test_a_symlink_out_of_a_root_is_refused(
    staff: Client, allowed_export: str, tmp_path: Path, settings: Any
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "escape").symlink_to("/etc")
    settings.IMPORT_LOCAL_ROOTS = [root]
    response = _post(staff, TREE, {"from": str(root / "escape")})
    assert response.status_code == 403


def test_a_subdirectory_of_a_root_is_read(staff: Client, allowed_export: str) -> None:
    response = _post(staff, TREE, {"from": f"file://{allowed_export}", "modelId": "gpt2-small"})
    assert response.status_code == 200
    assert [s["name"] for s in response.json()["sets"]] == ["att-kk", "res-jb"]


def test_import_from_setting_is_always_allowed(
    staff: Client, export_dir: tuple[Path, Export], settings: Any
) -> None:
    settings.IMPORT_LOCAL_ROOTS = []
    settings.IMPORT_FROM = str(export_dir[0])
    assert _post(staff, TREE, {}).json()["models"] == ["gpt2-small"]
    assert _post(staff, TREE, {"from": str(export_dir[0])}).status_code == 200


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/admin/importer/jobs", {"modelId": "gpt2-small", "sourceId": "6-res-jb"}),
        ("/api/admin/importer/jobs/set", {"modelId": "gpt2-small", "setName": "res-jb"}),
        ("/api/admin/importer/config", {}),
    ],
)
def test_starting_jobs_from_outside_the_roots_is_refused(
    staff: Client, allowed_export: str, url: str, body: dict[str, Any]
) -> None:
    response = _post(staff, url, {**body, "from": "/etc"})
    assert response.status_code == 403
    assert "IMPORT_LOCAL_ROOTS" in response.json()["error"]
    assert not ImportJob.objects.exists()
