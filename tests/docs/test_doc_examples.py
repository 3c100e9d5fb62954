"""Every runnable code block of README.md and docs/*.md, run as written against a live server
with the bundled demo loaded and a worker serving it; shown outputs are compared with what the
block printed. The markers and the substitutions are described in tests/support/doc_examples.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.support.accounts import make_account
from tests.support.doc_examples import (
    ROOT,
    RUNNABLE_LANGUAGES,
    Block,
    blocks,
    documents,
    matches,
    substitute,
)
from tests.support.worker_processes import WorkerProcess, child_process_env, spawn_worker

BLOCK_TIMEOUT = 300
SHELL_TOOLS = ("curl", "jq")  # what the documented shell examples call
EXPECTED_AT_LEAST = 11  # raise it as the docs gain examples


def test_every_runnable_block_is_marked_run_or_skip() -> None:
    unmarked = [
        b.where for path in documents() for b in blocks(path) if b.runnable and b.marker is None
    ]
    assert unmarked == [], "mark these <!-- example --> or <!-- example: skip (why) -->"
    examples = [b for path in documents() for b in blocks(path) if b.marker == "example"]
    assert all(b.runnable for b in examples), [b.where for b in examples if not b.runnable]
    assert all(b.skip_reason.strip() for b in examples if b.skip_reason is not None)


def test_shown_outputs_match_with_ellipses() -> None:
    assert matches('"dinosaurs: ..."', '"dinosaurs: fierce, prehistoric"\n')
    assert matches("a ...\nb", "a x y\n   b")
    assert not matches('"dinosaurs: ..."', '"space: rockets"')
    assert not matches("null", "jq: error")


@pytest.fixture
def shell_tools() -> None:
    """Skip (before the slow setup) where the shell examples' tools are missing."""
    if missing := [tool for tool in SHELL_TOOLS if shutil.which(tool) is None]:
        pytest.skip(f"the shell examples need {', '.join(missing)} (scripts/ensure_test_tools.sh)")


@pytest.fixture(scope="module")
def demo_worker(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    worker = spawn_worker(tmp_path_factory.mktemp("docs-worker"), "--model", "demo-lm")
    yield worker
    worker.stop()


@pytest.fixture
def site(
    live_server: Any, settings: Any, demo_worker: WorkerProcess, _seeded_users: None
) -> Iterator[dict[str, str]]:
    """The live server as `make run` leaves it: the demo loaded, the limiter off (its default)."""
    settings.ENABLE_RATE_LIMITER = False
    call_command("load_demo")
    account = make_account("reader")
    yield {"site_url": live_server.url, "api_key": account.key}


def _run(block: Block, site: dict[str, str], cwd: Path) -> str:
    text = substitute(block.text, site["site_url"], site["api_key"], str(settings.INFERENCE_SECRET))
    if RUNNABLE_LANGUAGES[block.language] == "bash":
        command = ["bash", "-eo", "pipefail", "-c", text]
        workdir = ROOT  # shell examples run from the checkout, as the docs say
    else:
        command = [sys.executable, "-c", text]
        workdir = cwd  # Python examples must not depend on the working directory
    done = subprocess.run(
        command,
        cwd=workdir,
        # A fresh home: examples that write under ~ stay in the test's directory.
        env=child_process_env({"NEURONPEDIA_API_KEY": "", "USE_LOCALHOST": "", "HOME": str(cwd)}),
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT,
    )
    assert done.returncode == 0, f"{block.where} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.django_db(transaction=True)
def test_the_examples_run_as_written(
    shell_tools: None, site: dict[str, str], tmp_path: Path
) -> None:
    """One test for every document: loading the demo and starting its worker is the slow part."""
    failures: list[str] = []
    ran = 0
    for path in documents():
        for block in blocks(path):
            if block.marker != "example" or block.skip_reason is not None:
                continue
            ran += 1
            try:
                printed = _run(block, site, tmp_path)
            except (AssertionError, subprocess.TimeoutExpired) as failed:
                failures.append(str(failed))
                continue
            shown = block.output and substitute(block.output.text, site["site_url"], "", "")
            if shown and not matches(shown, printed):
                failures.append(
                    f"{block.where} printed:\n{printed}\nthe doc shows "
                    f"({block.output and block.output.where}):\n{shown}"
                )
    print(f"{ran} examples run")
    assert failures == [], "\n\n".join(failures)
    assert ran >= EXPECTED_AT_LEAST
