"""Responses that do more work once they have been sent."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from rest_framework.response import Response

log = logging.getLogger(__name__)


class ResponseThen(Response):
    """A DRF Response that runs `then` callbacks after the server has sent it.

    The WSGI server calls `close()` once the body is out (Django's test client does too), so
    work such as queueing a cache write no longer holds the interpreter lock while this
    response is rendered and sent. A failing callback is logged; the answer is already out.
    """

    def __init__(self, data: Any, then: Iterable[Callable[[], None]], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
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
