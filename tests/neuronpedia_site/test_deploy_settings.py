"""The settings refuse to start a site that other hosts can reach with the development
SECRET_KEY (it is in the source, so anyone could forge sessions and CSRF tokens)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.worker_processes import ROOT


def _load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECRET_KEY_FILE")}
    return subprocess.run(
        [sys.executable, "-c", "import neuronpedia_site.settings"],
        cwd=ROOT,
        env={**clean, "NP_SERVICES_NOSTART": "True", "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_public_host_with_the_development_key_is_refused() -> None:
    refused = _load_settings(DEBUG="False", ALLOWED_HOSTS="np.example.org")
    assert refused.returncode != 0
    assert "SECRET_KEY is the development key" in refused.stderr
    assert "np.example.org" in refused.stderr


def test_a_real_key_or_a_local_only_site_starts() -> None:
    assert (
        _load_settings(
            DEBUG="False", ALLOWED_HOSTS="np.example.org", SECRET_KEY="x" * 50
        ).returncode
        == 0
    )
    assert _load_settings(DEBUG="False", ALLOWED_HOSTS="localhost,127.0.0.1").returncode == 0
    assert _load_settings(DEBUG="True", ALLOWED_HOSTS="np.example.org").returncode == 0
