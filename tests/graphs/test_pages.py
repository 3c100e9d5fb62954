"""The graph pages without a browser: the list and generate form, the viewer's page-specific
policy (and the strict one elsewhere), embedding, hidden models, and the viewer's files."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from features.models import Source, Visibility
from graphs import catalog, storage
from tests.support.accounts import Account
from tests.support.factories import make_activation, make_feature
from tests.support.graphs import GRAPH_MODEL, make_graph

pytestmark = pytest.mark.django_db


@pytest.fixture
def graph(alice: Account, graph_model: Any) -> Any:
    made = make_graph()
    return catalog.record(made, storage.save_json("g/cat.json", made), alice.user, "tc-demo")


def test_the_list_shows_graphs_and_the_form_to_users(alice: Account, graph: Any) -> None:
    page = Client().get(f"/{GRAPH_MODEL}/graph")
    assert page.status_code == 200
    assert b"?slug=cat-sat" in page.content and b'id="generate-graph"' not in page.content
    assert "style-src-attr" not in page["Content-Security-Policy"]
    client = Client()
    client.force_login(alice.user)
    assert b'id="generate-graph"' in client.get(f"/{GRAPH_MODEL}/graph").content


def test_only_the_viewer_allows_style_attributes_and_only_embeds_may_be_framed(
    graph: Any,
) -> None:
    page = Client().get(f"/{GRAPH_MODEL}/graph", {"slug": "cat-sat"})
    policy = page["Content-Security-Policy"]
    assert "style-src-attr 'unsafe-inline'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and page["X-Frame-Options"] == "DENY"
    assert b"graph-viewer/assets/attribution_graph/init-cg.js" in page.content
    assert b'class="subgraphs"' in page.content

    embed = Client().get(f"/{GRAPH_MODEL}/graph", {"slug": "cat-sat", "embed": "true"})
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed
    assert b'class="subgraphs"' not in embed.content and b"graph-top" not in embed.content


def test_hidden_models_and_missing_graphs_are_404(graph: Any, graph_model: Any) -> None:
    assert Client().get(f"/{GRAPH_MODEL}/graph", {"slug": "nope"}).status_code == 404
    graph_model.visibility = Visibility.PRIVATE
    graph_model.save()
    assert Client().get(f"/{GRAPH_MODEL}/graph").status_code == 404
    assert Client().get(f"/{GRAPH_MODEL}/graph", {"slug": "cat-sat"}).status_code == 404


def test_viewer_files_come_from_the_installed_package_and_nothing_else() -> None:
    script = Client().get("/graph-viewer/assets/attribution_graph/init-cg.js")
    assert script.status_code == 200 and b"initCg" in script.getvalue()
    assert Client().get("/graph-viewer/assets/../../graph_models.py").status_code == 404
    assert Client().get("/graph-viewer/assets/index.html").status_code == 404


def test_the_feature_json_has_the_viewers_shape(graph_model: Any) -> None:
    source = Source.objects.get(model=graph_model, source_id="1-tc-demo")
    feature = make_feature(source, 4, pos_str=[" purr"], neg_str=[" bark"], max_act_approx=3.5)
    make_activation(feature, [0.0, 3.5], tokens=["The", " cat"])
    body = Client().get(f"/{GRAPH_MODEL}/graph-features/1-tc-demo/4.json").json()
    assert body["transcoder_id"] == "1-tc-demo" and body["index"] == 4
    assert body["top_logits"] == [" purr"] and body["act_max"] == 3.5
    example = body["examples_quantiles"][0]["examples"][0]
    assert example == {
        "tokens": ["The", " cat"],
        "tokens_acts_list": [0.0, 3.5],
        "train_token_ind": 1,
        "is_repeated_datapoint": False,
    }
    source.visibility = Visibility.PRIVATE
    source.save()
    assert Client().get(f"/{GRAPH_MODEL}/graph-features/1-tc-demo/4.json").status_code == 404
