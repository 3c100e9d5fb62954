"""POST /api/vector/list-owned: the caller's vectors (the client sends no body at all)."""

from __future__ import annotations

from rest_framework.test import APIClient

from tests.support.accounts import Account
from tests.support.factories import make_model
from tests.support.vectors import DIM, VALUES, make_vector

URL = "/api/vector/list-owned"


def test_it_lists_only_the_callers_vectors_newest_first(alice: Account, bob: Account) -> None:
    make_model("vec-model", layers=4, dimension=DIM)
    first = make_vector(alice.user, label="first")
    second = make_vector(alice.user, label="second", layer=2)
    make_vector(bob.user, label="bobs")
    response = alice.client().generic("POST", URL)  # no body, no content type
    assert response.status_code == 200
    owned = response.json()["vectors"]
    assert [v["index"] for v in owned] == [second.index, first.index]
    assert owned[1] | {"createdAt": None} == {
        "modelId": "vec-model",
        "layer": "1-neuronpedia-resid-pre",
        "index": first.index,
        "vectorLabel": "first",
        "createdAt": None,
        "creatorId": alice.user.id,
        "vectorDefaultSteerStrength": 44.0,
        "hookName": "blocks.1.hook_resid_pre",
        "vector": VALUES,
    }


def test_it_requires_an_api_key(anon: APIClient) -> None:
    assert anon.post(URL).status_code == 401
