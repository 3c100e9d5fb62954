"""POST /api/vector/get: a stored vector exactly as uploaded, or an SAE latent's decoder row."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from rest_framework.test import APIClient

from features.models import Visibility
from tests.support.accounts import Account
from tests.support.factories import make_model
from tests.support.steering import MODEL_ID
from tests.support.vectors import DIM, VALUES, make_vector
from tests.support.worker_processes import WorkerProcess

URL = "/api/vector/get"


@pytest.fixture
def model(db: None) -> Any:
    return make_model("vec-model", layers=4, dimension=DIM)


def test_it_returns_the_row_with_the_exact_values(
    anon: APIClient, alice: Account, model: Any
) -> None:
    vector = make_vector(alice.user)
    response = anon.post(
        URL, {"modelId": "vec-model", "source": vector.layer, "index": vector.index}, format="json"
    )
    assert response.status_code == 200
    got = response.json()["vector"]
    assert got | {"createdAt": None} == {
        "modelId": "vec-model",
        "layer": "1-neuronpedia-resid-pre",
        "index": vector.index,
        "vectorLabel": "dinosaurs",
        "createdAt": None,
        "creatorId": alice.user.id,
        "vectorDefaultSteerStrength": 44.0,
        "hookName": "blocks.1.hook_resid_pre",
        "vector": VALUES,
    }


def test_the_index_may_be_a_number(anon: APIClient, alice: Account, model: Any) -> None:
    vector = make_vector(alice.user)
    body = {"modelId": "vec-model", "source": vector.layer, "index": int(vector.index)}
    assert anon.post(URL, body, format="json").json()["vector"]["vector"] == VALUES


@pytest.mark.parametrize(
    "body",
    [
        {"modelId": "vec-model", "source": "1-neuronpedia-resid-pre", "index": "90000000"},
        {"modelId": "nope", "source": "1-neuronpedia-resid-pre", "index": "90000000"},
    ],
)
def test_a_missing_vector_is_404(
    anon: APIClient, alice: Account, model: Any, body: dict[str, Any]
) -> None:
    make_vector(alice.user)
    response = anon.post(URL, body, format="json")
    assert response.status_code == 404
    assert response.json()["message"] == "Vector not found"


def test_a_vector_on_a_private_model_is_hidden_from_others(
    alice: Account, bob: Account, db: None
) -> None:
    make_model("bobs", layers=2, dimension=DIM, visibility=Visibility.PRIVATE, creator=bob.user)
    vector = make_vector(bob.user, model_id="bobs")
    body = {"modelId": "bobs", "source": vector.layer, "index": vector.index}
    assert alice.client().post(URL, body, format="json").status_code == 404
    assert bob.client().post(URL, body, format="json").status_code == 200


def test_bad_bodies_are_400(anon: APIClient, model: Any) -> None:
    response = anon.post(URL, {"modelId": "vec-model", "source": "x", "index": "-3"}, format="json")
    assert response.status_code == 400
    assert "index" in response.json()["message"]
    assert anon.post(URL, [1, 2], format="json").status_code == 400


@pytest.mark.django_db
def test_an_sae_latent_comes_back_as_its_decoder_row(
    anon: APIClient, tiny_model: Any, tiny_dirs: Any, steer_worker: WorkerProcess
) -> None:
    from sae_lens import SAE

    body = {"modelId": MODEL_ID, "source": "1-res-demo", "index": 12}
    response = anon.post(URL, body, format="json")
    assert response.status_code == 200, response.json()
    got = response.json()["vector"]
    sae = SAE.load_from_disk(str(tiny_dirs[1] / "1-res-demo"))
    torch.testing.assert_close(torch.tensor(got["vector"]), sae.W_dec[12].detach())
    assert got["hookName"] == "blocks.1.hook_resid_pre"
    assert (got["vectorLabel"], got["vectorDefaultSteerStrength"], got["layer"], got["index"]) == (
        "",
        10,
        "1-res-demo",
        "12",
    )


@pytest.mark.parametrize("index", ["²", "٣", "-1", "1.5", True])
def test_an_index_that_is_not_a_plain_number_is_400(anon: APIClient, index: Any) -> None:
    body = {"modelId": "vec-model", "source": "1-neuronpedia-resid-pre", "index": index}
    response = anon.post(URL, body, format="json")
    assert response.status_code == 400
    assert "index" in response.json()["message"]
