"""GET /api/feature/{modelId}/{layer}/{index}."""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from features.feature_detail import get_feature
from features.models import Visibility
from features.sql import prepared
from neuronpedia_format.users import BOT_USER_ID
from tests.support.factories import make_activation, make_feature, make_model, make_source
from tests.support.golden import assert_golden
from tests.support.gpt2 import Gpt2

pytestmark = pytest.mark.django_db
URL = "/api/feature/gpt2-small/6-res-jb/14057"


def test_it_returns_the_feature_in_neuronpedias_shape(gpt2: Gpt2, alice) -> None:
    response = alice.client().get(URL)  # the owner of the list, so `lists` is filled
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert_golden("feature", response.json(), {alice.user.id: "alice", BOT_USER_ID: "bot"})


def test_it_blanks_correlated_features(anon: APIClient, gpt2: Gpt2) -> None:
    body = anon.get(URL).json()
    assert body["correlated_features_indices"] == []
    assert body["correlated_features_pearson"] == []
    assert body["correlated_features_l1"] == []


def test_it_shows_only_public_activations_by_max_value(anon: APIClient, gpt2: Gpt2) -> None:
    acts = anon.get(URL).json()["activations"]
    assert [a["maxValue"] for a in acts] == [3.5, 2.0]
    assert {a["creatorId"] for a in acts} == {BOT_USER_ID}
    # Both key names, so the official client's Feature.get and SAEFeature.get both work.
    assert all(a["source"] == a["layer"] == "6-res-jb" for a in acts)


def test_it_orders_explanations_by_score_v2_then_v1(anon: APIClient, gpt2: Gpt2, alice) -> None:
    explanations = anon.get(URL).json()["explanations"]
    assert [e["description"] for e in explanations] == [
        "dinosaurs and fossils",  # scoreV2 0.8
        "prehistoric animals",  # no scoreV2, scoreV1 0.9
    ]
    assert explanations[0]["triggeredByUser"] == {"id": alice.user.id, "name": "alice"}
    assert [s["value"] for s in explanations[0]["scores"]] == [0.75]
    assert explanations[1]["triggeredByUser"] is None


def test_a_vectors_owner_activations_show(anon: APIClient, alice) -> None:
    model = make_model("gpt2-small")
    source = make_source(model, "6-neuronpedia-resid-pre", visibility=Visibility.UNLISTED)
    vector = make_feature(source, 95594191, has_vector=True, creator=alice.user)
    make_activation(vector, [1.0, 2.0], creator=alice.user)
    body = anon.get("/api/feature/gpt2-small/6-neuronpedia-resid-pre/95594191").json()
    assert [a["creatorId"] for a in body["activations"]] == [alice.user.id]
    assert body["creator"] == {"name": "alice"}


def test_it_404s_for_a_missing_feature(anon: APIClient, gpt2: Gpt2) -> None:
    response = anon.get("/api/feature/gpt2-small/6-res-jb/1")
    assert response.status_code == 404
    assert response.json()["error"] == response.json()["message"]
    assert anon.get("/api/feature/nope/6-res-jb/14057").status_code == 404


@pytest.mark.parametrize("hidden", ["model", "set", "source"])
def test_private_rows_show_to_their_creator_and_admins_only(
    hidden: str, anon: APIClient, alice, bob, admin_account
) -> None:
    model = make_model(
        "mine", visibility=Visibility.PRIVATE if hidden == "model" else "PUBLIC", creator=alice.user
    )
    source = make_source(model, "0-sae", visibility=Visibility.PUBLIC, creator=alice.user)
    if hidden == "set":
        source.source_set.__class__.objects.filter(model=model).update(
            visibility=Visibility.PRIVATE, creator=alice.user
        )
    if hidden == "source":
        source.__class__.objects.filter(pk=source.pk).update(visibility=Visibility.PRIVATE)
    make_feature(source, 3)
    url = "/api/feature/mine/0-sae/3"
    assert anon.get(url).status_code == 404
    assert bob.client().get(url).status_code == 404
    assert alice.client().get(url).status_code == 200
    assert admin_account.client().get(url).status_code == 200


def test_unlisted_rows_show_to_anyone_with_the_url(anon: APIClient) -> None:
    model = make_model("hidden-ish", visibility=Visibility.UNLISTED)
    make_feature(make_source(model, "0-sae", visibility=Visibility.UNLISTED), 3)
    assert anon.get("/api/feature/hidden-ish/0-sae/3").status_code == 200


def test_an_unknown_key_reads_as_anonymous(anon: APIClient, gpt2: Gpt2, alice) -> None:
    model = make_model("mine", visibility=Visibility.PRIVATE, creator=alice.user)
    make_feature(make_source(model, "0-sae", creator=alice.user), 3)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY="sk-np-not-a-real-key")
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json() == anon.get(URL).json()
    # Not a key-holder either: alice's private feature stays hidden, as from anyone anonymous.
    assert client.get("/api/feature/mine/0-sae/3").status_code == 404
    assert alice.client().get("/api/feature/mine/0-sae/3").status_code == 200


def test_the_first_request_on_a_connection_prepares_the_statement(
    anon: APIClient, gpt2: Gpt2, django_assert_num_queries
) -> None:
    with connection.cursor() as cursor:  # as on a new connection: nothing prepared
        cursor.execute("DEALLOCATE ALL")
    prepared._prepared.clear()
    with django_assert_num_queries(2) as captured:
        assert anon.get(URL).status_code == 200
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["PREPARE", "EXECUTE"]


def test_it_takes_one_query_anonymous_and_two_with_a_key(
    anon: APIClient, gpt2: Gpt2, alice, django_assert_num_queries
) -> None:
    anon.get(URL)  # prepares the statement on this connection
    with django_assert_num_queries(1):
        assert anon.get(URL).status_code == 200
    client = alice.client()
    with django_assert_num_queries(2):  # the key, then the feature
        assert client.get(URL).status_code == 200


def test_the_query_count_does_not_grow_with_the_rows(
    anon: APIClient, gpt2: Gpt2, django_assert_num_queries
) -> None:
    for i in range(20):
        make_activation(gpt2.feature, [float(i)], creator_id=BOT_USER_ID)
    anon.get(URL)
    with django_assert_num_queries(1):
        assert len(anon.get(URL).json()["activations"]) == 22


def test_get_feature_gives_pages_the_same_dict(anon: APIClient, gpt2: Gpt2) -> None:
    assert get_feature("gpt2-small", "6-res-jb", "14057", None) == anon.get(URL).json()
    assert get_feature("gpt2-small", "6-res-jb", "1", None) is None


def test_posts_are_not_allowed(anon: APIClient, gpt2: Gpt2) -> None:
    response = anon.post(URL)
    assert response.status_code == 405
    assert "error" in response.json()
