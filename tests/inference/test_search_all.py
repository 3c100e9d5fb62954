"""POST /api/search-all/ through a real worker: ranking, filters, DB join, saved search cache."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from bus import registry, task_names
from features.models import Activation, Feature, SavedSearch, SavedSearchActivation, Source
from neuronpedia_format.users import BOT_USER_ID
from neuronpedia_site.models import INFERENCE_ACTIVATION_USER_ID
from tests.support.factories import make_activation, make_explanation, make_model
from tests.support.inference import (
    BOS_FEATURE,
    BOS_SOURCE,
    LONG_TEXT,
    MODEL_ID,
    QUEUE,
    TEXT,
    TEXTS,
    make_features,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("worker")]
URL = "/api/search-all/"
RES_DEMO = ["0-res-demo", "1-res-demo"]


def _search(client: APIClient, **body: Any) -> Any:
    return client.post(URL, {"modelId": MODEL_ID, "sourceSet": "res-demo", **body}, format="json")


def _pairs(results: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["layer"], r["index"]) for r in results]


def test_it_ranks_like_a_brute_force_reference(anon: APIClient, tiny_model, reference) -> None:
    response = _search(anon, text=TEXT, numResults=20)
    assert response.status_code == 200, response.json()
    body = response.json()
    expected = [r for r in reference.search(TEXT, RES_DEMO, num_results=20) if r["max_value"] > 0]
    assert _pairs(body["result"]) == [(r["source"], str(r["index"])) for r in expected]
    for got, want in zip(body["result"], expected, strict=True):
        assert got["modelId"] == MODEL_ID
        assert got["maxValue"] == pytest.approx(want["max_value"], abs=1e-4)
        assert got["maxValueIndex"] == want["max_value_index"]
        assert got["values"] == pytest.approx(want["values"], abs=1e-4)
        assert "neuron" not in got  # no feature rows in the DB
    assert body["tokens"][0] == "<|endoftext|>"
    assert "".join(body["tokens"][1:]) == TEXT
    assert body["sortIndexes"] == []


def test_ignore_bos_drops_a_feature_that_fires_only_on_bos(anon: APIClient, tiny_model) -> None:
    kept = _search(anon, text=TEXT, selectedLayers=[BOS_SOURCE], ignoreBos=False, numResults=5)
    top = kept.json()["result"][0]
    assert (top["layer"], top["index"], top["maxValueIndex"]) == (BOS_SOURCE, str(BOS_FEATURE), 0)
    assert all(v == 0 for v in top["values"][1:])

    dropped = _search(anon, text=TEXT, selectedLayers=[BOS_SOURCE], ignoreBos=True, numResults=5)
    assert (BOS_SOURCE, str(BOS_FEATURE)) not in _pairs(dropped.json()["result"])
    assert all(r["values"][0] == 0 for r in dropped.json()["result"])


def test_sort_indexes_rank_by_the_sum_at_those_tokens(
    anon: APIClient, tiny_model, reference
) -> None:
    response = _search(anon, text=TEXT, sortIndexes=[2, 3], numResults=10)
    body = response.json()
    expected = [
        r
        for r in reference.search(TEXT, RES_DEMO, sort_indexes=(2, 3), num_results=10)
        if r["sum_values"] > 0
    ]
    assert _pairs(body["result"]) == [(r["source"], str(r["index"])) for r in expected]
    sums = [r["values"][2] + r["values"][3] for r in body["result"]]
    assert sums == sorted(sums, reverse=True) and min(sums) > 0
    assert body["sortIndexes"] == [2, 3]


def test_an_out_of_range_sort_index_is_a_400(anon: APIClient, tiny_model) -> None:
    response = _search(anon, text=TEXT, sortIndexes=[500])
    assert response.status_code == 400
    assert "out of range" in response.json()["error"]


def test_density_threshold_drops_dense_features(anon: APIClient, tiny_model) -> None:
    plain = _search(anon, text=TEXT, selectedLayers=["1-res-demo"], numResults=5).json()["result"]
    dense = plain[0]
    make_features(tiny_model, "1-res-demo", [int(dense["index"])], frac_nonzero=0.5)
    filtered = _search(
        anon, text=TEXT, selectedLayers=["1-res-demo"], numResults=5, densityThreshold=0.1
    ).json()["result"]
    assert _pairs(filtered) == _pairs(plain)[1:]
    kept = _search(
        anon, text=TEXT, selectedLayers=["1-res-demo"], numResults=5, densityThreshold=0.6
    ).json()["result"]
    assert _pairs(kept) == _pairs(plain)


def test_it_joins_features_saves_activations_and_answers_again_from_the_cache(
    alice, tiny_model
) -> None:
    make_features(tiny_model, "1-res-demo", range(256), frac_nonzero=0.001)
    client = alice.client()
    body = {"text": TEXT, "selectedLayers": ["1-res-demo"], "numResults": 8}
    top_index = _search(client, **{**body, "numResults": 1}).json()["result"][0]["index"]
    top = Feature.objects.get(model=tiny_model, layer="1-res-demo", index=top_index)
    public = make_activation(top, [0.0, 9.0], creator_id=BOT_USER_ID)
    make_activation(top, [0.0, 99.0], creator=alice.user)  # alice is not a public creator
    make_explanation(top, "cats on mats")

    response = _search(client, **body)
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert len(answer["result"]) == 8
    neuron = answer["result"][0]["neuron"]
    assert (neuron["layer"], neuron["index"]) == ("1-res-demo", top_index)
    assert [a["id"] for a in neuron["activations"]] == [public.id]
    assert [e["description"] for e in neuron["explanations"]] == ["cats on mats"]
    assert neuron["model"]["id"] == MODEL_ID
    assert all(r["neuron"]["index"] == r["index"] for r in answer["result"])

    saved = SavedSearch.objects.get(num_results=8)
    assert (saved.query, saved.user_id, saved.tokens) == (TEXT, alice.user.id, answer["tokens"])
    rows = list(SavedSearchActivation.objects.filter(saved_search=saved).order_by("order"))
    assert [(r.activation.layer, r.activation.index) for r in rows] == _pairs(answer["result"])
    assert {r.activation.creator_id for r in rows} == {alice.user.id}
    assert rows[0].activation.values == answer["result"][0]["values"]

    # With no worker in the registry the same request can only come from the cache.
    workers = registry.live_workers()
    for info in workers:
        registry.withdraw(info["hostname"])
    try:
        again = _search(client, **body)
    finally:
        for info in workers:
            registry.announce(info)
    assert again.status_code == 200
    assert again.json() == answer
    assert SavedSearch.objects.count() == 2


def test_anonymous_searches_are_saved_as_the_inference_bot(anon: APIClient, tiny_model) -> None:
    make_features(tiny_model, "0-res-demo", range(256))
    response = _search(anon, text=TEXTS[1], selectedLayers=["0-res-demo"], numResults=3)
    assert response.status_code == 200
    assert Activation.objects.count() == 3
    assert set(Activation.objects.values_list("creator_id", flat=True)) == {
        INFERENCE_ACTIVATION_USER_ID
    }


def test_results_without_feature_rows_are_answered_but_not_cached(
    anon: APIClient, tiny_model
) -> None:
    plain = _search(anon, text=TEXT, selectedLayers=["1-res-demo"], numResults=4).json()["result"]
    make_features(tiny_model, "1-res-demo", [int(plain[0]["index"])])
    response = _search(anon, text=TEXT, selectedLayers=["1-res-demo"], numResults=4)
    assert _pairs(response.json()["result"]) == _pairs(plain)
    assert "neuron" in response.json()["result"][0]
    assert "neuron" not in response.json()["result"][1]
    assert Activation.objects.count() == 1
    assert SavedSearch.objects.count() == 0


def test_a_list_of_texts_gives_results_per_text(anon: APIClient, tiny_model, reference) -> None:
    response = _search(anon, text=TEXTS[:3], numResults=5)
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 3
    for text, result in zip(TEXTS[:3], results, strict=True):
        expected = reference.search(text, RES_DEMO, num_results=5)
        assert _pairs(result["result"]) == [(r["source"], str(r["index"])) for r in expected]
        assert "".join(result["tokens"][1:]) == text
    assert SavedSearch.objects.count() == 0


def test_concurrent_searches_are_batched_and_match_solo_answers(
    anon: APIClient, tiny_model
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from bus import client

    def request(text: str) -> dict[str, Any]:
        item = {"prompt": text, "source_set": "res-demo", "num_results": 10}
        return client.call(
            task_names.ACTIVATIONS_ALL, {"model": MODEL_ID, "requests": [item]}, QUEUE, timeout=60
        )

    solo = [request(text) for text in TEXTS]
    with ThreadPoolExecutor(len(TEXTS)) as pool:
        together = list(pool.map(request, TEXTS))
    for one, other in zip(solo, together, strict=True):
        got, want = other["results"][0], one["results"][0]
        assert [(a["source"], a["index"]) for a in got["activations"]] == [
            (a["source"], a["index"]) for a in want["activations"]
        ]
        assert [a["max_value"] for a in got["activations"]] == pytest.approx(
            [a["max_value"] for a in want["activations"]], abs=1e-4
        )
    status = client.call(task_names.WORKER_STATUS, {}, QUEUE, timeout=60)
    assert status["batching"]["largest"] > 1


def test_validation_errors_are_400(anon: APIClient, tiny_model) -> None:
    assert _search(anon, text=TEXT, numResults=101).status_code == 400
    assert _search(anon, text=TEXT, densityThreshold=2).status_code == 400
    assert _search(anon, text="").status_code == 400
    response = anon.post(URL, {"modelId": MODEL_ID}, format="json")
    assert response.status_code == 400 and "sourceSet" in response.json()["error"]


def test_a_text_over_the_token_limit_is_a_400(anon: APIClient, tiny_model) -> None:
    response = _search(anon, text=LONG_TEXT)
    assert response.status_code == 400
    assert response.json()["error"].startswith("Text too long:")
    assert "max is 48" in response.json()["error"]


def test_unknown_model_source_set_and_layer_are_404(anon: APIClient, tiny_model) -> None:
    assert (
        anon.post(
            URL, {"modelId": "nope", "sourceSet": "res-demo", "text": TEXT}, format="json"
        ).status_code
        == 404
    )
    response = _search(anon, text=TEXT, sourceSet="res-nope")
    assert response.status_code == 404 and "res-nope" in response.json()["error"]
    response = _search(anon, text=TEXT, selectedLayers=["7-res-demo"])
    assert response.status_code == 404 and "7-res-demo" in response.json()["error"]


def test_a_private_model_of_someone_else_is_404(anon: APIClient, seeded) -> None:
    make_model(MODEL_ID, visibility="PRIVATE")
    assert _search(anon, text=TEXT).status_code == 404


def test_a_private_source_of_someone_else_is_404_and_its_owner_searches_it(
    anon: APIClient, alice, tiny_model
) -> None:
    Source.objects.filter(source_id="1-res-demo").update(
        visibility="PRIVATE", creator_id=alice.user.id
    )
    for body in ({"selectedLayers": ["1-res-demo"]}, {}):  # named, or all of the set
        response = _search(anon, text=TEXT, numResults=2, **body)
        assert response.status_code == 404, body
        assert response.json()["error"] == "Source not found: 1-res-demo"
    assert _search(anon, text=TEXT, selectedLayers=["0-res-demo"]).status_code == 200
    owner = _search(alice.client(), text=TEXT, selectedLayers=["1-res-demo"], numResults=2)
    assert owner.status_code == 200
    assert {r["layer"] for r in owner.json()["result"]} == {"1-res-demo"}


def test_a_model_without_a_worker_is_a_503_naming_the_queue(anon: APIClient, seeded) -> None:
    make_model("gpt2-small")
    response = anon.post(
        URL, {"modelId": "gpt2-small", "sourceSet": "res-jb", "text": TEXT}, format="json"
    )
    assert response.status_code == 503
    assert "inference.gpt2-small" in response.json()["error"]
    assert response.json()["queue"] == "inference.gpt2-small"


def test_the_path_without_a_trailing_slash_works_too(anon: APIClient, tiny_model) -> None:
    response = anon.post(
        "/api/search-all",
        {"modelId": MODEL_ID, "sourceSet": "res-demo", "text": TEXT, "numResults": 2},
        format="json",
    )
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_background_saves_land_after_the_answer(anon: APIClient, tiny_model, settings) -> None:
    from inference import search as inference_search

    settings.INFERENCE_BACKGROUND_SAVES = True
    make_features(tiny_model, "1-res-demo", range(256))
    answer = _search(anon, text=TEXTS[2], selectedLayers=["1-res-demo"], numResults=4).json()
    inference_search.wait_for_saves()
    saved = SavedSearch.objects.get()
    rows = SavedSearchActivation.objects.filter(saved_search=saved).order_by("order")
    assert [(r.activation.layer, r.activation.index) for r in rows] == _pairs(answer["result"])


def test_server_timing_names_each_part_of_a_search(
    anon: APIClient, tiny_model, settings: Any
) -> None:
    from neuronpedia_site import timing

    settings.SERVER_TIMING = True
    make_features(tiny_model, "1-res-demo", range(256))  # joined, then saved
    body = {"text": TEXT, "selectedLayers": ["1-res-demo"], "numResults": 5}
    response = _search(anon, **body)
    assert response.status_code == 200
    parts = timing.parse(response.headers["Server-Timing"])
    assert list(parts) == ["hosts", "gate", "worker", "join", "render", "app"]
    assert all(ms > 0 for ms in parts.values())
    # app is the whole request inside Django, so it holds every part
    assert parts["app"] >= sum(ms for name, ms in parts.items() if name != "app") - 0.05

    replayed = _search(anon, **body)  # the saved search: no worker, no join
    assert list(timing.parse(replayed.headers["Server-Timing"])) == [
        "hosts",
        "gate",
        "render",
        "app",
    ]
