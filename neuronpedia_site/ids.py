"""Neuronpedia uses cuid strings for ids; new rows here get ids of the same shape."""

from __future__ import annotations

import itertools
import os
import secrets
import time

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_counter = itertools.count(secrets.randbelow(36**4))
_fingerprint = (os.getpid() % 36**2) * 36**2 + secrets.randbelow(36**2)


def _base36(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 36)
        out.append(_ALPHABET[r])
    return "".join(reversed(out))


def new_id() -> str:
    """A 25-character cuid-like id: 'c' + time + counter + fingerprint + randomness."""
    return (
        "c"
        + _base36(int(time.time() * 1000), 8)
        + _base36(next(_counter) % 36**4, 4)
        + _base36(_fingerprint, 4)
        + _base36(secrets.randbelow(36**8), 8)
    )
