"""The OpenAPI schema (/api/schema), the offline docs page (/api/docs), and schemathesis runs
over the schema against a live server: no 5xx, and every error is a JSON `{error, message}`."""

from __future__ import annotations

import json
import re
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from rest_framework.test import APIClient
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode

from tests.support.factories import make_explained_feature

# Every operation is fuzzed except these. The ones that run a model answer 503 here, as no
# inference worker runs in this test; tests/inference and tests/steering cover them through real
# workers. /api/health reports 503 for the same reason, and `user/api-key` rotates the key the
# run authenticates with. Generating and scoring explanations run on a worker too
# (tests/autointerp).
NEEDS_A_WORKER = re.compile(
    r"^/api/(activation/(new|source)|search-all|search-topk-by-token|cossim|tokenize|steer"
    r"|steer-chat|explanation/(generate|score))/?$|^/v1/(?!health$)"
)
NOT_FUZZED = {"/api/health", "/api/user/api-key"}
# Every operation gets this many examples per mode, whatever the time: no silent budget.
EXAMPLES_PER_MODE = 8


def _schema(client: APIClient) -> dict[str, Any]:
    response = client.get("/api/schema?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.mark.django_db
def test_the_schema_documents_every_endpoint_with_auth_levels(anon: APIClient) -> None:
    schema = _schema(anon)
    paths = schema["paths"]
    for path in [
        "/api/feature/{model_id}/{layer}/{index}",
        "/api/features",
        "/api/feature/upload-batch",
        "/api/model/get",
        "/api/source-set/{model_id}/{name}",
        "/api/explanation/search",
        "/api/list/add-features",
        "/api/bookmark/add",
        "/api/user/api-key",
    ]:
        assert path in paths, path
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
        "description": "Your API key (sk-np-...), from your account page.",
    }
    optional = paths["/api/feature/{model_id}/{layer}/{index}"]["get"]["security"]
    required = paths["/api/list/new"]["post"]["security"]
    assert {} in optional and {} not in required
    body = paths["/api/model/new"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/NewModel")
    assert paths["/api/feature/{model_id}/{layer}/{index}"]["get"]["description"].startswith(
        "A feature"
    )


def test_the_schema_generates_without_warnings(capsys) -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, capsys.readouterr().err


@pytest.mark.django_db
def test_the_docs_page_needs_nothing_from_outside(anon: APIClient) -> None:
    response = anon.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/schema?format=json" in html and "/static/js/api_docs.js" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)


def _has_inputs(operation: Any) -> bool:
    """Whether negative data exists: a body, or a path parameter narrower than any string."""
    constrained = [p for p in operation.path_parameters if set(p.definition["schema"]) - {"type"}]
    return bool(list(operation.body) or list(operation.query) or constrained)


@pytest.fixture
def populated(alice) -> dict[str, str]:
    return {"explanation": make_explained_feature().id}


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_errors(live_server, settings, alice, populated) -> None:
    settings.ENABLE_RATE_LIMITER = False
    schema = schemathesis.openapi.from_dict(_schema(APIClient()))
    operations = [
        operation
        for result in schema.get_all_operations()
        if isinstance(result, Ok)
        and not NEEDS_A_WORKER.match((operation := result.ok()).path)
        and operation.path not in NOT_FUZZED
    ]
    assert len(operations) >= 40
    problems: list[str] = []
    fuzzed: set[str] = set()

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis.settings(
                max_examples=EXAMPLES_PER_MODE,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            )
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                response = case.call(base_url=live_server.url, headers={"X-Api-Key": alice.key})
                label = f"{case.method} {case.formatted_path} ({mode.value})"
                if response.status_code >= 500:
                    problems.append(f"{label}: {response.status_code} {response.content[:200]!r}")
                elif response.status_code >= 400:
                    try:
                        body = json.loads(response.content)
                    except ValueError:
                        problems.append(f"{label}: non-JSON {response.status_code}")
                        return
                    if not (isinstance(body, dict) and {"error", "message"} <= body.keys()):
                        problems.append(f"{label}: error body {body!r}")

            if mode == GenerationMode.NEGATIVE and not _has_inputs(operation):
                continue  # nothing can be invalid (e.g. POST /api/list/list)
            run()
            fuzzed.add(f"{operation.method} {operation.path}")
    assert fuzzed == {f"{o.method} {o.path}" for o in operations}  # every one, none skipped
    assert problems == []
