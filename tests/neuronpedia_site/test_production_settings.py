"""The documented production environment (docs/production.env.example) passes Django's deploy
checks with no warning, and the HTTPS settings do what they say: redirect plain http, trust the
proxy's header, mark cookies secure, send HSTS. Without them (`make run`) the site answers over
plain http."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from tests.support.worker_processes import ROOT

PRODUCTION_ENV = ROOT / "docs" / "production.env.example"


def _documented_env() -> dict[str, str]:
    env = {}
    for line in PRODUCTION_ENV.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    return env


def _check_deploy(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`manage.py check --deploy` with `env` on top of a clean environment; each `*_FILE`
    secret is a fresh random one, as the operator's secret files would hold."""
    env = dict(env)
    for key in [k for k in env if k.endswith("_FILE")]:
        path = tmp_path / key.lower()
        path.write_text(secrets.token_urlsafe(50))
        env[key] = str(path)
    # Nothing from the test run's own settings leaks in (pytest-django sets the module).
    base = {
        k: v for k, v in os.environ.items() if k == "PATH" or k.startswith(("LANG", "LC_", "HOME"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**base, "NP_SERVICES_NOSTART": "True", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_documented_production_env_passes_check_deploy(tmp_path: Path) -> None:
    result = _check_deploy(_documented_env(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr


def test_without_the_https_settings_check_deploy_warns(tmp_path: Path) -> None:
    env = {k: v for k, v in _documented_env().items() if not k.startswith(("SECURE_", "SESSION_"))}
    result = _check_deploy(env, tmp_path)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012"):
        assert warning in result.stderr


HTTPS = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}


@pytest.mark.django_db
@override_settings(**HTTPS)
def test_with_https_on_plain_http_is_redirected_and_https_gets_hsts() -> None:
    client = Client()  # a new client loads the middleware with these settings
    plain = client.get("/login")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/login"

    secure = client.get("/login", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert secure.cookies["csrftoken"]["secure"] is True

    # Health checks from inside the network stay on plain http.
    assert client.get("/api/health").status_code in (200, 503)


@pytest.mark.django_db
def test_by_default_the_site_answers_plain_http() -> None:
    response = Client().get("/login")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response
    assert not response.cookies["csrftoken"]["secure"]
