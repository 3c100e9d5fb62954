"""GET /{modelId}/steer: the steer page."""

from __future__ import annotations

import json
import re

from django.test import Client

from features.models import Visibility
from tests.support.accounts import Account
from tests.support.factories import make_model
from tests.support.vectors import make_vector


def _config(html: str) -> dict:
    match = re.search(
        r'<script id="steer-config" type="application/json">(.*?)</script>', html, re.S
    )
    assert match
    return json.loads(match.group(1))


def test_it_renders_the_page_with_its_config(client: Client, db: None) -> None:
    make_model("page-model", layers=4, dimension=8, thinking=True)
    response = client.get("/page-model/steer")
    assert response.status_code == 200
    html = response.content.decode()
    config = _config(html)
    assert config["modelId"] == "page-model" and config["maxTokens"] == 768
    assert config["vectors"] == []
    for label in ('for="feature-query"', 'for="prompt"', 'for="temperature"', 'role="status"'):
        assert label in html
    assert "js/steer.js" in html and "csrf-token" in html


def test_it_lists_the_users_own_vectors(client: Client, alice: Account, bob: Account) -> None:
    make_model("vec-model", layers=4, dimension=8)
    mine = make_vector(alice.user, label="mine")
    make_vector(bob.user, label="bobs")
    client.force_login(alice.user)
    config = _config(client.get("/vec-model/steer?load=abc").content.decode())
    assert [(v["index"], v["description"]) for v in config["vectors"]] == [(mine.index, "mine")]
    assert config["vectors"][0]["defaultStrength"] == 44
    assert config["load"] == "abc"


def test_a_hidden_or_unknown_model_is_404(client: Client, bob: Account) -> None:
    make_model("hidden", visibility=Visibility.PRIVATE, creator=bob.user)
    assert client.get("/hidden/steer").status_code == 404
    assert client.get("/nope/steer").status_code == 404
    client.force_login(bob.user)
    assert client.get("/hidden/steer").status_code == 200


def test_the_feature_pages_steer_button_preselects_the_feature(
    client: Client, alice: Account
) -> None:
    from tests.support.factories import make_explanation, make_feature, make_source

    model = make_model("pre-model", layers=4, dimension=8)
    feature = make_feature(make_source(model, "2-res-x"), 5)
    make_explanation(feature, "rivers and lakes")
    html = client.get("/pre-model/steer?source=2-res-x&index=5").content.decode()
    config = _config(html)
    assert config["preselect"] == {
        "modelId": "pre-model",
        "layer": "2-res-x",
        "index": "5",
        "description": "rivers and lakes",
        "hasVector": False,
        "vectorLabel": None,
        "defaultStrength": 10.0,
    }
    assert 'id="back-to-feature" href="/pre-model/2-res-x/5"' in html
    assert [p["value"] for p in config["presets"]] == [0.0, 5.0, 10.0, 20.0, 40.0]
    assert 'id="normalize-steering"' in html
    # A feature that does not exist (or is hidden) preselects nothing.
    assert (
        _config(client.get("/pre-model/steer?source=2-res-x&index=99").content.decode())[
            "preselect"
        ]
        is None
    )
