"""ResponseThen runs its callbacks once the response is closed (sent), never before."""

from __future__ import annotations

import logging

import pytest

from neuronpedia_site.responses import ResponseThen


def test_callbacks_run_in_order_when_the_response_is_closed() -> None:
    ran: list[str] = []
    response = ResponseThen({"ok": True}, [lambda: ran.append("a"), lambda: ran.append("b")])
    assert response.data == {"ok": True} and response.status_code == 200
    assert ran == []
    response.close()
    assert ran == ["a", "b"]


def test_a_failing_callback_is_logged_and_the_rest_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("boom")

    response = ResponseThen({}, [broken, lambda: ran.append("after")], status=201)
    with caplog.at_level(logging.ERROR, logger="neuronpedia_site.responses"):
        response.close()
    assert ran == ["after"]
    assert "a callback after the response failed" in caplog.text
    assert response.status_code == 201
