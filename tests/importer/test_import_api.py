"""Neuronpedia's importer URLs: `POST /api/admin/import` (server-sent events; GET only follows)
and `POST /api/admin/import-config`; admins only, never anonymous callers on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from features.autointerp import EXPLANATION_TYPE_ROWS
from features.models import Activation, ExplanationType, Feature
from importer.models import ImportJob
from tests.support.exportgen import Export, write_export
from tests.support.importer import BUCKET, serve_slowly

URL = "/api/admin/import?modelId=gpt2-small&sourceId=6-res-jb"


def _events(response: Any) -> list[tuple[str | None, dict[str, Any]]]:
    text = b"".join(response.streaming_content).decode()
    events = []
    for block in text.strip().split("\n\n"):
        event = None
        data: dict[str, Any] = {}
        for line in block.split("\n"):
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = json.loads(line.removeprefix("data: "))
        events.append((event, data))
    return events


@pytest.fixture
def _seed_users() -> Iterator[None]:
    from neuronpedia_site.accounts import seed_users

    seed_users()
    yield


@pytest.mark.django_db(transaction=True)
def test_progress_streams_while_a_worker_imports(
    _seed_users: None,
    start_worker: Callable[..., Any],
    worker_env: dict[str, str],
    admin_account: Any,
    settings: Any,
    tmp_path: Path,
) -> None:
    # Served slowly, so that the import lasts long enough to stream progress as it goes.
    write_export(tmp_path, features=8, batch_size=8, activations_per_feature=400, tokens=64)
    with serve_slowly(tmp_path) as location:
        settings.IMPORT_FROM = location
        start_worker(env={**worker_env, "IMPORT_FROM": location})
        response = Client().post(URL, HTTP_X_API_KEY=admin_account.key)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream"
        assert "Access-Control-Allow-Origin" not in response
        events = _events(response)
    assert events[-1] == ("complete", {})
    progress = [data["progress"] for event, data in events if event is None]
    assert len(progress) >= 3 and progress == sorted(progress) and progress[-1] == 1.0
    texts = [data["progressText"] for event, data in events if event is None]
    assert any("rows" in t and "files)" in t for t in texts)
    assert (Feature.objects.count(), Activation.objects.count()) == (8, 3200)
    # GET follows the finished job without starting another
    again = _events(Client().get(URL, HTTP_X_API_KEY=admin_account.key))
    assert again[-1] == ("complete", {}) and ImportJob.objects.count() == 1


@pytest.mark.django_db
def test_only_admins_may_import_even_on_a_localhost_instance(alice: Any, settings: Any) -> None:
    settings.SITE_URL = "http://localhost:3000"
    anonymous = Client(REMOTE_ADDR="127.0.0.1").post(URL)
    assert anonymous.status_code == 401
    assert "Access-Control-Allow-Origin" not in anonymous
    refused = Client().post(URL, HTTP_X_API_KEY=alice.key, HTTP_ACCEPT="text/event-stream")
    assert refused.status_code == 403
    assert refused.json()["error"] == "This endpoint requires an admin user."
    assert Client(REMOTE_ADDR="127.0.0.1").post("/api/admin/import-config").status_code == 401
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_a_get_never_starts_an_import(admin_account: Any) -> None:
    response = Client().get(URL, HTTP_X_API_KEY=admin_account.key)
    assert response.status_code == 404
    assert "POST to this URL starts one" in response.json()["error"]
    config = Client().get("/api/admin/import-config", HTTP_X_API_KEY=admin_account.key)
    assert config.status_code == 405
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_a_staff_session_needs_the_csrf_token(admin_account: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_account.user)
    response = browser.post(URL)
    assert response.status_code == 403 and "CSRF" in response.json()["error"]
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_both_ids_are_required(admin_account: Any) -> None:
    response = Client().post(
        "/api/admin/import?modelId=gpt2-small", HTTP_X_API_KEY=admin_account.key
    )
    assert response.status_code == 400
    assert response.json()["error"] == "modelId and sourceId are required query parameters"


@pytest.mark.django_db
def test_without_a_worker_it_says_how_to_start_one(admin_account: Any) -> None:
    response = Client().post(URL, HTTP_X_API_KEY=admin_account.key)
    assert response.status_code == 503
    assert "python manage.py run_worker" in response.json()["error"]
    assert not ImportJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_import_ends_with_an_error_event(
    _seed_users: None,
    start_worker: Callable[..., Any],
    worker_env: dict[str, str],
    s3: Any,
    s3_prefix: Callable[..., tuple[str, Path, Export]],
    admin_account: Any,
    settings: Any,
    use_moto: str,
) -> None:
    location, _, _ = s3_prefix()
    settings.IMPORT_FROM = location
    start_worker(env={**worker_env, "IMPORT_FROM": location})
    prefix = location.removeprefix(f"s3://{BUCKET}/")
    path = "gpt2-small/6-res-jb/features/batch-1.jsonl.gz"
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/{path}", Body=b"broken", ACL="public-read")
    events = _events(Client().post(URL, HTTP_X_API_KEY=admin_account.key))
    event, data = events[-1]
    assert event == "error" and data["message"].startswith(f"{path}: corrupt or truncated gzip")


@pytest.mark.django_db
def test_import_config_syncs_the_config_tables(
    s3_export: tuple[str, Export], admin_account: Any, settings: Any, use_moto: str
) -> None:
    settings.IMPORT_FROM = s3_export[0]
    response = Client().post("/api/admin/import-config", HTTP_X_API_KEY=admin_account.key)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["rows"]["ExplanationType"] == 2
    # The export's two types, beside those a fresh install seeds (features.autointerp).
    assert set(ExplanationType.objects.values_list("name", flat=True)) == {
        "oai_token-act-pair",
        "np_max-act",
        *EXPLANATION_TYPE_ROWS,
    }
