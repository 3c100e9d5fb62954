"""A web process never imports torch, the model libraries or the worker runtime: it loads the
settings, the WSGI application (middleware), the URLconf and every view, in a fresh interpreter,
and none of them is in `sys.modules` afterwards. `lint-imports` (make check) holds the same rule
for every import in the source; this test holds it for what actually gets imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings

from tests.support.worker_processes import ROOT

FORBIDDEN_ROOTS = (
    "torch",
    "transformer_lens",
    "sae_lens",
    "numpy",
    "safetensors",
    "transformers",
    "circuit_tracer",
    "sentence_transformers",
)
# Django loads the workers app's config (for its management commands) and nothing else of it.
ALLOWED_WORKER_MODULES = ("workers", "workers.apps")

LOAD_EVERYTHING = """
import json, sys
import django
django.setup()
from django.core.wsgi import get_wsgi_application
from django.urls import URLResolver, get_resolver

get_wsgi_application()

def views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from views(pattern.url_patterns)
        else:
            yield pattern.callback

loaded = [view.__module__ for view in views(get_resolver().url_patterns)]
print(json.dumps({"modules": sorted(sys.modules), "views": len(loaded)}))
"""


def _modules_of_a_web_process() -> dict[str, object]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "neuronpedia_site.settings",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgresql://unused@127.0.0.1/unused",
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", LOAD_EVERYTHING],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_web_process_imports_no_torch_and_no_worker_runtime() -> None:
    loaded = _modules_of_a_web_process()
    modules = loaded["modules"]
    assert isinstance(modules, list)
    assert isinstance(loaded["views"], int) and loaded["views"] > 100  # every route's view
    assert "features.pages.views" in modules and "inference.v1_views" in modules
    forbidden = [m for m in modules if m.split(".")[0] in FORBIDDEN_ROOTS]
    assert forbidden == []
    runtime = [m for m in modules if m.split(".")[0] == "workers"]
    assert sorted(runtime) == sorted(ALLOWED_WORKER_MODULES)
