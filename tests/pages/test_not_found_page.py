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
