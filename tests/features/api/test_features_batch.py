"""POST /api/features."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from features.models import Visibility
from neuronpedia_format.users import BOT_USER_ID
from tests.support.factories import make_activation, make_feature, make_model, make_source
from tests.support.gpt2 import Gpt2

pytestmark = pytest.mark.django_db
URL = "/api/features"


def test_it_returns_features_in_request_order(anon: APIClient, gpt2: Gpt2) -> None:
    other = make_feature(gpt2.source, 7)
    make_activation(other, [1.0], creator_id=BOT_USER_ID)
    body = anon.post(
        URL,
        [
            {"modelId": "gpt2-small", "layer": "6-res-jb", "index": 7},
            {"modelId": "gpt2-small", "layer": "6-res-jb", "index": 14057},
        ],
        format="json",
    ).json()
    assert [f["index"] for f in body] == ["7", "14057"]
    first = body[1]
    assert [a["maxValue"] for a in first["activations"]] == [3.5, 2.0]
    assert set(first["explanations"][0]) == {
        "id",
        "modelId",
        "layer",
        "source",
        "index",
        "description",
        "explanationModelName",
        "typeName",
    }
    assert first["correlated_features_indices"] == []


def test_it_caps_activations_with_max_acts_to_return(anon: APIClient, gpt2: Gpt2) -> None:
    body = anon.post(
        URL,
        [{"modelId": "gpt2-small", "layer": "6-res-jb", "index": "14057", "maxActsToReturn": 1}],
        format="json",
    ).json()
    assert [a["maxValue"] for a in body[0]["activations"]] == [3.5]


def test_it_leaves_out_missing_and_hidden_features(anon: APIClient, gpt2: Gpt2, alice) -> None:
    private = make_model("private-m", visibility=Visibility.PRIVATE, creator=alice.user)
    make_feature(make_source(private, "0-x", creator=alice.user), 1)
    request = [
        {"modelId": "private-m", "layer": "0-x", "index": 1},
        {"modelId": "gpt2-small", "layer": "6-res-jb", "index": 99},
        {"modelId": "gpt2-small", "layer": "6-res-jb", "index": 14057},
    ]
    assert [f["index"] for f in anon.post(URL, request, format="json").json()] == ["14057"]
    assert len(alice.client().post(URL, request, format="json").json()) == 2


def test_it_answers_an_empty_list_with_an_empty_list(anon: APIClient) -> None:
    assert anon.post(URL, [], format="json").json() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([{"modelId": "gpt2-small", "layer": "6-res-jb", "index": "x"}], "index"),
        ([{"modelId": "gpt2-small", "layer": "6-res-jb", "index": "²"}], "index"),  # isdigit()
        ([{"layer": "6-res-jb", "index": 1}], "modelId"),
        ({"modelId": "gpt2-small"}, "list"),
    ],
)
def test_it_rejects_bad_bodies_naming_the_field(anon: APIClient, body: object, field: str) -> None:
    response = anon.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["message"]


def test_it_limits_the_batch_size(anon: APIClient) -> None:
    body = [{"modelId": "m", "layer": "0-x", "index": i} for i in range(251)]
    response = anon.post(URL, body, format="json")
    assert response.status_code == 400
    assert "250" in response.json()["message"]


def test_it_is_one_query(anon: APIClient, gpt2: Gpt2, django_assert_num_queries) -> None:
    body = [{"modelId": "gpt2-small", "layer": "6-res-jb", "index": 14057}] * 5
    anon.post(URL, body[:1], format="json")  # prepares the statement on this connection
    with django_assert_num_queries(1):
        assert len(anon.post(URL, body, format="json").json()) == 5
