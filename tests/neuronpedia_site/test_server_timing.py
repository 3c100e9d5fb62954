"""The Server-Timing header (neuronpedia_site/timing.py): off by default, parts in order."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from neuronpedia_site import timing


def test_parse_reads_durations_and_adds_repeated_names() -> None:
    value = 'hosts;dur=0.41, gate;desc="one query";dur=1.2, join;dur=2, join;dur=0.5, cache'
    assert timing.parse(value) == {"hosts": 0.41, "gate": 1.2, "join": 2.5}
    assert timing.parse("") == {}


def test_header_round_trips_through_parse() -> None:
    assert timing.parse(timing.header([("gate", 1.234), ("app", 5.0)])) == {
        "gate": 1.23,
        "app": 5.0,
    }


def test_part_outside_a_timed_request_records_nothing() -> None:
    with timing.part("gate"):
        pass  # no recorder: nothing to fail, nothing kept
    assert timing._parts.get() is None


@pytest.mark.django_db
def test_off_by_default_and_on_with_the_setting(client: Client, settings: Any) -> None:
    assert settings.SERVER_TIMING is False
    assert "Server-Timing" not in client.get("/api/health").headers
    settings.SERVER_TIMING = True
    parts = timing.parse(client.get("/api/health").headers["Server-Timing"])
    assert list(parts) == ["app"] and parts["app"] > 0
