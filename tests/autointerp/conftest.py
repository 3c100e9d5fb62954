"""One fake OpenAI-compatible server and one real worker (queue default) for the package.

The worker is `manage.py run_worker` with every provider's base URL pointed at the fake server,
short LLM timeouts and three tries; the web side (this process) gets the same settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bench import fake_llm
from features.autointerp import seed_config_rows
from features.models import (
    ExplanationModelType,
    ExplanationScoreModel,
    ExplanationScoreType,
    ExplanationType,
)
from tests.support.worker_processes import WorkerProcess, empty_redis_but_workers, spawn_worker

LLM_TIMEOUT = "1"
LLM_TRIES = "3"


@pytest.fixture(scope="package")
def llm() -> Iterator[fake_llm.FakeLLM]:
    fake, server = fake_llm.start()
    yield fake
    server.shutdown()


def llm_env(url: str) -> dict[str, str]:
    return {
        "OPENAI_BASE_URL": url,
        "OPENROUTER_BASE_URL": url,
        "ANTHROPIC_BASE_URL": url,
        "GEMINI_BASE_URL": url,
        "LLM_TIMEOUT": LLM_TIMEOUT,
        "LLM_TRIES": LLM_TRIES,
    }


@pytest.fixture(scope="package")
def worker(
    llm: fake_llm.FakeLLM, django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    process = spawn_worker(
        tmp_path_factory.mktemp("autointerp-worker"), env=llm_env(llm.url), prefix="autointerp"
    )
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Overrides the root fixture: keeps the package's worker reachable."""
    empty_redis_but_workers()
    yield


@pytest.fixture(autouse=True)
def _llm_settings(settings: Any, llm: fake_llm.FakeLLM) -> Iterator[None]:
    for name, value in llm_env(llm.url).items():
        setattr(settings, name, int(value) if value.isdigit() else value)
    llm.reset()
    yield


@pytest.fixture
def config_rows(transactional_db: None) -> None:
    """The autointerp config rows (a transactional test's flush removes the migration's), plus
    one explainer model per provider and one scorer model."""
    seed_config_rows(ExplanationType, ExplanationScoreType, ExplanationScoreModel)
    ExplanationModelType.objects.create(
        name="gpt-4o-mini", open_router_model_id="openai/gpt-4o-mini"
    )
    ExplanationModelType.objects.create(name="llama-3-8b", open_router_model_id="meta/llama-3-8b")
    ExplanationScoreModel.objects.create(
        name="gpt-4o-mini", open_router_model_id="openai/gpt-4o-mini"
    )
