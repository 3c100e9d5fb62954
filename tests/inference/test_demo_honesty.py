"""The demo behaves on text it was not trained on: for every topic of the demo corpus, sentences
written by hand (tests/support/honest_demo.py) put a feature explained with that topic in the top
5 of search via inference with the page's default settings, and that feature stays below 0.3 of
its maximum activation on the other topics' sentences.

Goes through the production path: `load_demo` rows (explanations, densities, max activations
from the committed dashboards), a worker serving the committed pack, `/api/search-all/` and
`/api/activation/new`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from rest_framework.test import APIClient

from features.models import Explanation, Feature, Model
from tests.support.honest_demo import HAND_WRITTEN
from tests.support.steering import spawn_worker
from tests.support.worker_processes import ROOT, WorkerProcess

pytestmark = pytest.mark.django_db

MODEL_ID = "demo-lm"
TOP = 5
OFF_TOPIC_RATIO = 0.3


@pytest.fixture(scope="module")
def demo_worker(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    worker = spawn_worker(
        tmp_path_factory.mktemp("honest-demo-worker"),
        "--model",
        MODEL_ID,
        "--device",
        "cpu",
        "--no-default-queue",
        env={"DEMO_PACK_DIR": str(settings.DEMO_PACK_DIR)},
    )
    yield worker
    worker.kill()


@pytest.fixture
def demo(db: None, demo_worker: WorkerProcess) -> Model:
    call_command("load_demo", stdout=StringIO())
    return Model.objects.get(id=MODEL_ID)


def page_defaults(model: Model) -> dict[str, Any]:
    """The body the search-via-inference page sends (static/js/inference_search.js) when the
    user changes nothing: the model's default source set, all its layers, BOS ignored, dense
    features hidden at the page's threshold."""
    return {
        "modelId": model.id,
        "sourceSet": model.default_source_set_name,
        "selectedLayers": [],
        "sortIndexes": [],
        "ignoreBos": True,
        "densityThreshold": settings.INFERENCE_SEARCH_DENSITY_THRESHOLD,
        "numResults": 50,
    }


def _explained_with(topic: str, model: Model, result: dict[str, Any]) -> bool:
    description = Explanation.objects.filter(
        model=model, layer=result["layer"], index=result["index"]
    ).values_list("description", flat=True)
    return any(d.startswith(f"{topic}: ") for d in description)


def _off_topic_max(client: APIClient, model: Model, layer: str, index: str, topic: str) -> float:
    others = [s for t, texts in HAND_WRITTEN.items() if t != topic for s in texts]
    response = client.post(
        "/api/activation/new",
        {
            "feature": {"modelId": model.id, "source": layer, "index": index},
            "customText": others,
            "ignoreBos": True,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    return max(a["maxValue"] for a in response.json())


def test_every_topic_has_a_selective_feature_in_the_top_5(anon: APIClient, demo: Model) -> None:
    # One test for all topics: loading the demo rows takes most of its time.
    failed = []
    for topic, texts in sorted(HAND_WRITTEN.items()):
        checked = [_check(anon, demo, topic, text) for text in texts]
        _record(topic, [line for _, line in checked])
        failed += [f"{topic}: {line}" for ok, line in checked if not ok]
    assert not failed, "\n".join(failed)


def _check(client: APIClient, model: Model, topic: str, text: str) -> tuple[bool, str]:
    """(passed, the numbers) for one sentence: passed when one of the top 5 is explained with the
    topic and stays below OFF_TOPIC_RATIO of its maximum on the other topics' sentences. The line
    gives every topic feature of the top 5, so a selective one behind an unselective one shows."""
    response = client.post("/api/search-all/", {**page_defaults(model), "text": text}, "json")
    assert response.status_code == 200, response.json()
    top = response.json()["result"][:TOP]
    hits = [r for r in top if _explained_with(topic, model, r)]
    if not hits:
        return False, f"{text!r}: no {topic} feature in the top {TOP}: {_keys(top)}"
    found = []
    for hit in hits:
        feature = Feature.objects.get(model=model, layer=hit["layer"], index=hit["index"])
        off = _off_topic_max(client, model, hit["layer"], hit["index"], topic)
        ratio = off / feature.max_act_approx
        found.append(
            (
                ratio < OFF_TOPIC_RATIO,
                f"{hit['layer']}/{hit['index']} at rank {top.index(hit) + 1} "
                f"({hit['maxValue']:.2f}); on other topics {off:.2f} = {ratio:.2f} of its max "
                f"{feature.max_act_approx:.2f}",
            )
        )
    return any(ok for ok, _ in found), f"{text!r}: " + "; ".join(line for _, line in found)


def _keys(results: list[dict[str, Any]]) -> list[str]:
    return [f"{r['layer']}/{r['index']}" for r in results]


def _record(topic: str, lines: list[str]) -> None:
    """Keep the per-sentence numbers with the other test artifacts (demo_pack/README.md quotes
    them)."""
    out = ROOT / "test-artifacts" / "demo-honesty"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{topic}.json").write_text(json.dumps(lines, indent=1) + "\n")
