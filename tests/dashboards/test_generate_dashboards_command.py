"""`manage.py generate_dashboards` and the Celery task: one call from an SAE to loaded dashboards."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from features.models import Activation, Explanation, Feature, Source
from tests.dashboards.conftest import PACK, SOURCE
from workers import export_format as fmt


@pytest.mark.django_db
def test_the_command_writes_the_export_and_loads_it(tmp_path: Path) -> None:
    out = StringIO()
    call_command(
        "generate_dashboards",
        "--model-dir", str(PACK / "model"),
        "--sae-dir", str(PACK / "saes" / "0-res-demo"),
        "--source", "0-res-demo",
        "--corpus", "demo",
        "--max-docs", "40",
        "--out", str(tmp_path),
        "--no-progress",
        "--load",
        stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "demo-lm/0-res-demo: 512 features" in text and "loaded into the database" in text
    export = fmt.read_source_export(tmp_path, "demo-lm", "0-res-demo")
    assert Source.objects.get(model_id="demo-lm", source_id="0-res-demo").has_dashboards
    assert Feature.objects.filter(layer="0-res-demo").count() == 512
    assert Activation.objects.filter(layer="0-res-demo").count() == len(export.activations)
    assert Explanation.objects.filter(layer="0-res-demo").count() == len(export.explanations)

    again = StringIO()
    call_command(
        "generate_dashboards", "--model-dir", str(PACK / "model"),
        "--sae-dir", str(PACK / "saes" / "0-res-demo"), "--source", "0-res-demo",
        "--max-docs", "40", "--out", str(tmp_path), "--no-progress", stdout=again,
    )  # fmt: skip
    assert "already complete" in again.getvalue()


def test_the_command_explains_bad_input(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="corpus must be"):
        call_command(
            "generate_dashboards", "--model-dir", str(PACK / "model"),
            "--sae-dir", str(PACK / "saes" / SOURCE), "--source", SOURCE,
            "--corpus", str(tmp_path / "missing.txt"), "--out", str(tmp_path), "--no-progress",
        )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_celery_task_runs_the_job_on_a_worker(
    tmp_path: Path, start_worker: Callable[..., Any]
) -> None:
    from workers import client
    from workers.dashboards import DashboardConfig

    start_worker()
    config = DashboardConfig(
        source=SOURCE,
        out=str(tmp_path),
        sae_dir=str(PACK / "saes" / SOURCE),
        model_dir=str(PACK / "model"),
        max_docs=30,
        device="cpu",
    )
    result = client.call(
        "generate_dashboards",
        {"config": config.to_dict(), "load": True},
        queue=client.DEFAULT_QUEUE,
        timeout=300,
    )
    assert result["features"] == 512 and result["loaded"]["via"] in ("direct", "importer")
    assert fmt.read_source_export(tmp_path, "demo-lm", SOURCE).model["id"] == "demo-lm"
    assert Feature.objects.filter(model_id="demo-lm", layer=SOURCE).count() == 512
