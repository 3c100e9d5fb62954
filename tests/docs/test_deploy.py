"""The docker compose deployment of docs/deploy.md: what the image is built from, and the broker
surviving a restart. (No Docker daemon runs the suite; `docker build` reads the same
`.dockerignore` rules through the same matcher, docker-py's.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from docker.utils.build import exclude_paths

from tests.support.doc_examples import ROOT

# What `make run` and the embedded services leave in a checkout, besides the tracked files.
LOCAL_ONLY = [
    ".venv/bin/python",
    ".venv/lib/python3.11/site-packages/torch/__init__.py",
    "var/postgres/PG_VERSION",
    "var/redis/redis.sock.db",
    "secret_key.txt",
    "staticfiles/css/site.css",
    "features/__pycache__/models.cpython-311.pyc",
]


def _context(checkout: Path) -> set[str]:
    """The paths `docker build` sends, under the repository's own `.dockerignore`."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return set(exclude_paths(str(checkout), patterns, dockerfile="Dockerfile"))


def test_the_build_context_of_a_used_checkout_has_the_code_and_no_local_state(
    tmp_path: Path,
) -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in [*tracked, *LOCAL_ONLY, ".git/HEAD"]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()

    context = _context(tmp_path)

    top_level = {path.split("/")[0] for path in context}
    assert not top_level & {".venv", "var", ".git", "secret_key.txt", "staticfiles"}
    assert not [path for path in context if "__pycache__" in path or path.endswith(".pyc")]
    needed = [
        path
        for path in tracked
        if path.split("/")[0] in {"manage.py", "requirements.txt", "demo_pack", "templates"}
        or path.endswith(".py")
        and not path.startswith("tests/")
    ]
    assert needed and not [path for path in needed if path not in context]


def test_the_broker_keeps_queued_jobs_across_a_redis_restart() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "redisdata:/data" in redis["volumes"] and "redisdata" in compose["volumes"]
    assert compose["services"]["web"]["environment"]["LOAD_DEMO"] == "True"


def test_the_image_has_the_graph_viewers_libraries() -> None:
    """A stage fetches them with the script `make run` uses (pinned, hash-checked), and the
    image copies them where its `GRAPH_VIEWER_LIBS_DIR` points."""
    lines = [line.split() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    stages = [words for words in lines if words and words[0] == "FROM"]
    assert stages[0][-2:] == ["AS", "graph-viewer-libs"] and len(stages) == 2
    fetch = next(words for words in lines if words[:1] == ["RUN"])
    assert fetch[1] == "GRAPH_VIEWER_LIBS_DIR=/graph-viewer-libs"
    assert fetch[-1].endswith("/scripts/fetch_graph_viewer_libs.sh")
    assert (ROOT / "scripts" / "fetch_graph_viewer_libs.sh").is_file()
    copy = next(words for words in lines if words[1:2] == ["--from=graph-viewer-libs"])
    assert copy[2] == "/graph-viewer-libs"
    assert ["ENV", f"GRAPH_VIEWER_LIBS_DIR={copy[3]}"] in lines
