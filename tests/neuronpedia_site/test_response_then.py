"""ResponseThen runs its callbacks once the response is closed (sent), never before."""

from __future__ import annotations

import json
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


def test_raw_json_is_embedded_as_it_is() -> None:
    from neuronpedia_site.responses import RawJSON, json_text

    fragment = '{"b": [1.5, "x"], "c": null}'
    data = {
        "a": [RawJSON(fragment), RawJSON("[]")],
        "n": 0.30000000000000004,
        "s": "é \u0000 \u2028",  # non-ASCII kept, NUL escaped, U+2028 escaped as DRF does
    }
    text = json_text(data)
    assert text == (
        '{"a":[{"b": [1.5, "x"], "c": null},[]],"n":0.30000000000000004,"s":"é \\u0000 \\u2028"}'
    )
    assert json.loads(text)["a"][0] == {"b": [1.5, "x"], "c": None}


def test_a_string_that_looks_like_a_marker_stays_a_string() -> None:
    from neuronpedia_site.responses import RawJSON, json_text

    data = {"x": "\u0000abc:0\u0000", "y": RawJSON("1")}
    assert json.loads(json_text(data)) == {"x": "\u0000abc:0\u0000", "y": 1}
    with pytest.raises(TypeError):
        json_text({"z": object()})
