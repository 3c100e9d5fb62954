"""POST /api/explanation/search, /search-all, /search-model and /search-release."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from features import search
from features.models import SourceRelease, SourceSet, Visibility
from tests.support.factories import make_explanation, make_feature, make_model, make_source
from tests.support.gpt2 import Gpt2

pytestmark = pytest.mark.django_db


def _search(client: APIClient, path: str = "search", **body: object) -> dict:
    response = client.post(f"/api/explanation/{path}", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_it_ranks_matching_explanations(anon: APIClient, gpt2: Gpt2) -> None:
    body = _search(anon, modelId="gpt2-small", layers=["6-res-jb"], query="dinosaur")
    assert body["request"] == {
        "modelId": "gpt2-small",
        "layers": ["6-res-jb"],
        "query": "dinosaur",
        "offset": 0,
    }
    assert body["resultsCount"] == 1 and body["hasMore"] is False and "nextOffset" not in body
    hit = body["results"][0]
    assert (hit["modelId"], hit["layer"], hit["index"]) == ("gpt2-small", "6-res-jb", "14057")
    assert hit["description"] == "dinosaurs and fossils"
    assert (hit["typeName"], hit["explanationModelName"]) == ("oai_token-act-pair", "gpt-4o-mini")
    assert 0 < hit["cosine_similarity"] < 1
    assert [a["maxValue"] for a in hit["neuron"]["activations"]] == [3.5, 2.0]


def test_words_match_as_prefixes_and_all_must_match(anon: APIClient, gpt2: Gpt2) -> None:
    assert _search(anon, modelId="gpt2-small", layers=[], query="prehist")["resultsCount"] == 1
    assert _search(anon, modelId="gpt2-small", layers=[], query="fossil dino")["resultsCount"] == 1
    assert _search(anon, modelId="gpt2-small", layers=[], query="fossil whale")["resultsCount"] == 0
    assert _search(anon, modelId="gpt2-small", layers=[], query="!!!")["resultsCount"] == 0


def test_it_pages_by_twenty(anon: APIClient, gpt2: Gpt2) -> None:
    for i in range(25):
        make_explanation(make_feature(gpt2.source, 100 + i), f"whale number {i}")
    first = _search(anon, modelId="gpt2-small", layers=["6-res-jb"], query="whale")
    assert first["resultsCount"] == 20 and first["hasMore"] is True and first["nextOffset"] == 20
    second = _search(anon, modelId="gpt2-small", layers=["6-res-jb"], query="whale", offset=20)
    assert second["resultsCount"] == 5 and second["hasMore"] is False
    seen = {r["index"] for r in first["results"]} | {r["index"] for r in second["results"]}
    assert len(seen) == 25


def test_it_404s_for_hidden_layers(anon: APIClient, gpt2: Gpt2, alice) -> None:
    make_source(gpt2.model, "7-mine", visibility=Visibility.PRIVATE, creator=alice.user)
    response = anon.post(
        "/api/explanation/search",
        {"modelId": "gpt2-small", "layers": ["6-res-jb", "7-mine"], "query": "dinosaur"},
        format="json",
    )
    assert response.status_code == 404
    response = anon.post(
        "/api/explanation/search",
        {"modelId": "nope", "layers": [], "query": "dinosaur"},
        format="json",
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"modelId": "gpt2-small", "layers": [], "query": "ab"}, "query"),
        ({"modelId": "gpt2-small", "query": "abc"}, "layers"),
        ({"layers": [], "query": "abc"}, "modelId"),
        ({"modelId": "gpt2-small", "layers": [], "query": "abc", "offset": -1}, "offset"),
    ],
)
def test_it_validates_naming_the_field(anon: APIClient, body: dict, field: str) -> None:
    response = anon.post("/api/explanation/search", body, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}:")


def test_search_all_and_model_skip_unlisted_and_private_sources(
    anon: APIClient, gpt2: Gpt2, alice
) -> None:
    unlisted = make_source(gpt2.model, "1-quiet", visibility=Visibility.UNLISTED)
    make_explanation(make_feature(unlisted, 1), "dinosaur too")
    other = make_model("other")
    make_explanation(make_feature(make_source(other, "0-res"), 1), "dinosaur elsewhere")
    everywhere = _search(anon, "search-all", query="dinosaur")
    assert {(r["modelId"], r["layer"]) for r in everywhere["results"]} == {
        ("gpt2-small", "6-res-jb"),
        ("other", "0-res"),
    }
    in_model = _search(anon, "search-model", modelId="gpt2-small", query="dinosaur")
    assert {r["layer"] for r in in_model["results"]} == {"6-res-jb"}
    # Direct search by layer reaches unlisted sources, as direct lookups do.
    direct = _search(anon, modelId="gpt2-small", layers=["1-quiet"], query="dinosaur")
    assert direct["resultsCount"] == 1


def test_search_release_covers_the_releases_sets(anon: APIClient, gpt2: Gpt2) -> None:
    SourceRelease.objects.create(name="jb", visibility=Visibility.PUBLIC)
    SourceSet.objects.filter(name="res-jb").update(release_id="jb")
    make_explanation(make_feature(make_source(gpt2.model, "0-other"), 1), "dinosaur elsewhere")
    body = _search(anon, "search-release", releaseName="jb", query="dinosaur")
    assert {r["layer"] for r in body["results"]} == {"6-res-jb"}
    hidden = anon.post(
        "/api/explanation/search-release",
        {"releaseName": "nope", "query": "dinosaur"},
        format="json",
    )
    assert hidden.status_code == 404


def test_prefix_tsquery_keeps_only_words() -> None:
    assert search.prefix_tsquery("Dino's & bones!") == "dino:* & s:* & bones:*"
    assert search.prefix_tsquery("':*|") == ""


def test_a_common_word_ranks_a_bounded_number_of_matches(
    gpt2: Gpt2, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond `WORD_MATCH_CAP` matches, the first found (in the table's order) are ranked, and
    only rows in scope count towards it."""
    hidden = make_source(gpt2.model, "7-hidden", visibility=Visibility.PRIVATE)
    for i in range(10):
        make_explanation(make_feature(hidden, i), "whale whale whale whale")
    for i in range(30):
        make_explanation(make_feature(gpt2.source, 100 + i), f"whale number {i}")
    best = make_explanation(make_feature(gpt2.source, 999), "whale whale whale")
    scope = search.ScopeFilter.of(search.scope_all(None))
    whole = search.word_ranking("whale", scope, depth=5)
    assert list(whole)[0] == best.id and len(whole) == 5
    assert all(0 < rank < 1 for rank in whole.values())

    monkeypatch.setattr(search, "WORD_MATCH_CAP", 30)  # the 31st match in scope is not read
    bounded = search.word_ranking("whale", scope, depth=5)
    assert best.id not in bounded and len(bounded) == 5
    # A page that needs more rows than the bound reads as many as it needs.
    assert list(search.word_ranking("whale", scope, depth=31))[0] == best.id


def test_the_words_query_can_use_the_description_index() -> None:
    # WORDS_SQL writes the GIN index's expression out by hand: with sequential scans off, a
    # plan for its match that cannot use the index means the two no longer match.
    from django.db import connection, transaction

    match = (
        f'SELECT e.id FROM "Explanation" e WHERE {search.DESCRIPTION_VECTOR} @@ {search.TSQUERY}'
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {match}", {"tsquery": "dinosaur"})
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "explanation_description_simple" in plan, plan
