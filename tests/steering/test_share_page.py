"""GET /steer/{id}: the share page of a saved steering result."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from steering.plan import SteerFeature
from tests.support.factories import make_explanation, make_feature, make_model, make_source
from tests.support.saved_steering import save_chat, save_completion


@pytest.fixture
def model(db: None) -> Any:
    model = make_model("share-model", layers=4, dimension=8)
    make_explanation(make_feature(make_source(model, "1-res-demo"), 5), "fossils and bones")
    return model


def test_it_shows_both_chat_sides_and_the_features(client: Client, model: Any) -> None:
    rows = save_chat(model, [SteerFeature("share-model", "1-res-demo", "5", 8.0)])
    response = client.get(f"/steer/{rows['STEERED'].id}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dinosaurs!" in html and "Hello." in html
    assert "fossils and bones" in html and 'href="/share-model/1-res-demo/5"' in html
    assert f'href="/share-model/steer?load={rows["STEERED"].id}"' in html


def test_it_shows_a_completion_with_its_prompt(client: Client, model: Any) -> None:
    rows = save_completion(model, [])
    html = client.get(f"/steer/{rows['DEFAULT'].id}").content.decode()
    assert "Once" in html and "upon a time" in html and "Not generated." in html


def test_an_unknown_result_is_an_html_404(client: Client, db: None) -> None:
    response = client.get("/steer/nope")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
