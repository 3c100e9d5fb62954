"""`manage.py generate_dashboards` and the Celery task: one call from an SAE to loaded dashboards."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from features.models import Activation, Explanation, Feature, Source
from neuronpedia_format import export as fmt
from tests.support.demo_exports import PACK, SOURCE, d_sae


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
    assert f"demo-lm/0-res-demo: {d_sae('0-res-demo')} features" in text
    assert "loaded into the database" in text
    export = fmt.read_source_export(tmp_path, "demo-lm", "0-res-demo")
    assert Source.objects.get(model_id="demo-lm", source_id="0-res-demo").has_dashboards
    assert Feature.objects.filter(layer="0-res-demo").count() == d_sae("0-res-demo")
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
