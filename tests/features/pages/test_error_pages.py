from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_pages_get_a_helpful_html_404(db: None) -> None:
    response = Client().get("/no-model/6-res-jb/1")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "<h1>Not found</h1>" in page and "<code>/no-model/6-res-jb/1</code>" in page
    assert 'href="/search"' in page


def test_api_paths_keep_the_json_404(db: None) -> None:
    response = Client().get("/api/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found.", "message": "Not found."}


def test_server_errors_get_a_self_contained_html_page(rf) -> None:
    from neuronpedia_site.errors import json_or_html_500

    response = json_or_html_500(rf.get("/gpt2-small/6-res-jb/7"))
    assert response.status_code == 500
    assert "Something went wrong on our end" in response.content.decode()
    assert json_or_html_500(rf.get("/api/feature/x/y/1")).status_code == 500
