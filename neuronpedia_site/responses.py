"""JSON responses for the hot inference answers: JSON text written elsewhere (by PostgreSQL)
embedded as it is, and work run once the response has been sent."""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpResponse

log = logging.getLogger(__name__)


class RawJSON:
    """JSON text that `json_text` writes into its output as it is (no parse, no re-encode)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"RawJSON({self.text[:40]!r}...)"


def json_text(data: Any) -> str:
    """`data` as compact JSON (as DRF's JSONRenderer writes it: UTF-8, no NaN), with each
    `RawJSON` value replaced by its text.

    The encoder first writes each RawJSON as a string marker holding a random nonce and the
    fragment's number, then one regex pass swaps the markers for the fragments. NUL characters
    in the marker are escaped by the encoder as `\\u0000`, and the nonce is new on every call,
    so no string of the data itself can look like a marker.
    """
    fragments: list[str] = []
    nonce = secrets.token_hex(8)

    def marker(value: Any) -> str:
        if not isinstance(value, RawJSON):
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
        fragments.append(value.text)
        return f"\x00{nonce}:{len(fragments) - 1}\x00"

    text = json.dumps(
        data, default=marker, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )
    if fragments:
        pattern = re.compile(r'"\\u0000' + nonce + r':(\d+)\\u0000"')
        text = pattern.sub(lambda m: fragments[int(m.group(1))], text)
    # As DRF's renderer: these two are valid JSON but end a line in older JavaScript.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class ResponseThen(HttpResponse):
    """A JSON response (see `json_text`) that runs `then` callbacks after the server has sent it.

    The WSGI server calls `close()` once the body is out (Django's test client does too), so
    work such as queueing a cache write no longer holds the interpreter lock while this
    response is rendered and sent. A failing callback is logged; the answer is already out.
    """

    def __init__(
        self, data: Any, then: Iterable[Callable[[], None]] = (), status: int = 200
    ) -> None:
        super().__init__(json_text(data), content_type="application/json", status=status)
        self.data = data
        self._then = list(then)

    def close(self) -> None:
        try:
            super().close()
        finally:
            for callback in self._then:
                try:
                    callback()
                except Exception:
                    log.exception("a callback after the response failed")
