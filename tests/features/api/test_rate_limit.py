"""Rate limits (neuronpedia_site.ratelimit): 429s, x-limit-remaining, callers, tiers."""

from __future__ import annotations

import subprocess
import time

import pytest
import redis
from rest_framework.test import APIClient

from neuronpedia_site import ratelimit
from tests.support.factories import make_model
from tests.support.importer import free_port

pytestmark = pytest.mark.django_db


def _new_model(client: APIClient, i: int) -> int:
    return client.post("/api/model/new", {"id": f"m{i}", "layers": 1}, format="json").status_code


def test_the_sixth_new_model_in_an_hour_is_refused(alice) -> None:
    client = alice.client()
    assert [_new_model(client, i) for i in range(5)] == [200] * 5
    response = client.post("/api/model/new", {"id": "m5", "layers": 1}, format="json")
    assert response.status_code == 429
    body = response.json()
    assert body["endpoint"] == "/api/model/new"
    assert (body["limitPerWindow"], body["requestWindow"], body["remainingRequests"]) == (
        5,
        "60 m",
        0,
    )
    assert body["error"] == body["message"] and "5 requests per 60 m" in body["error"]
    assert response["Access-Control-Allow-Origin"] == "*"


def test_responses_carry_the_remaining_count_of_the_most_specific_rule(alice) -> None:
    client = alice.client()
    assert (
        client.post("/api/model/new", {"id": "m0", "layers": 1}, format="json")["x-limit-remaining"]
        == "4"
    )
    make_model("gpt2-small")
    assert (
        client.post("/api/model/get", {"id": "gpt2-small"}, format="json")["x-limit-remaining"]
        == "24998"
    )


def test_keys_have_their_own_budget_and_anonymous_callers_share_the_ips(alice, bob) -> None:
    alice_client = alice.client()
    for i in range(5):
        _new_model(alice_client, i)
    assert _new_model(alice_client, 9) == 429
    assert _new_model(bob.client(), 10) == 200
    # Anonymous requests (401 here) are counted per IP, apart from alice's budget.
    anon = APIClient()
    assert anon.post("/api/model/new", {}, format="json")["x-limit-remaining"] == "4"


def test_made_up_keys_count_against_the_ip(anon: APIClient) -> None:
    for i in range(5):
        anon.credentials(HTTP_X_API_KEY=f"sk-np-fake-{i}")
        assert anon.post("/api/model/new", {}, format="json").status_code == 401
    anon.credentials(HTTP_X_API_KEY="sk-np-fake-again")
    assert anon.post("/api/model/new", {}, format="json").status_code == 429


def test_higher_limit_keys_get_the_higher_table(settings, alice) -> None:
    make_model("gpt2-small")
    body = {"modelId": "gpt2-small", "layers": [], "query": "dinosaur"}
    client = alice.client()
    assert client.post("/api/explanation/search", body, format="json")["x-limit-remaining"] == "199"
    settings.HIGHER_LIMIT_API_TOKENS = [alice.key]
    assert (
        client.post("/api/explanation/search", body, format="json")["x-limit-remaining"] == "2999"
    )


def test_steer_load_is_exempt_and_the_limiter_can_be_off(settings, anon: APIClient) -> None:
    assert ratelimit.matching_rules("/api/steer-load") == []
    assert [r.path for r in ratelimit.matching_rules("/api/steer-chat")] == [
        "/",
        "/api",
        "/api/steer",
    ]
    assert [r.path for r in ratelimit.matching_rules("/api/explanation/score/x/delete")][
        -1
    ] == "/api/explanation/score"
    assert "/api/explanation/score" not in [
        r.path for r in ratelimit.matching_rules("/api/explanation/scores")
    ]
    settings.ENABLE_RATE_LIMITER = False
    assert "x-limit-remaining" not in anon.get("/api/health")


def test_the_window_slides(alice) -> None:
    start = 1_000 * ratelimit.WINDOW_SECONDS  # the start of a fixed window
    for _ in range(5):
        assert ratelimit.check("/api/model/new", "test", False, now=start + 10).allowed
    assert not ratelimit.check("/api/model/new", "test", False, now=start + 20).allowed
    # Half-way into the next window, half of the previous window's 5 requests still count.
    halfway = start + ratelimit.WINDOW_SECONDS * 1.5
    decisions = [ratelimit.check("/api/model/new", "test", False, now=halfway) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]


def test_a_refused_request_consumes_nothing() -> None:
    for _ in range(5):
        ratelimit.check("/api/model/new", "test", False, now=0)
    for _ in range(3):
        assert not ratelimit.check("/api/model/new", "test", False, now=0).allowed
    other = ratelimit.check("/api/model/get", "test", False, now=0)
    assert other.remaining == 25000 - 5 - 1


def test_redis_outages_let_requests_through(settings, alice) -> None:
    """A real Redis that stops between two requests: the limiter counts on the first, and the
    second is answered without a count instead of failing."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
        probe = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                probe.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client = alice.client()
        counted = client.post("/api/model/new", {"id": "m0", "layers": 1}, format="json")
        assert (counted.status_code, counted["x-limit-remaining"]) == (200, "4")
        server.terminate()
        server.wait(timeout=10)
        with pytest.raises(redis.ConnectionError):
            probe.ping()
        through = client.post("/api/model/new", {"id": "m1", "layers": 1}, format="json")
        assert through.status_code == 200 and "x-limit-remaining" not in through
        assert through.json()["id"] == "m1"
    finally:
        server.kill()
        server.wait()


def test_proxies_are_trusted_only_when_configured(settings, rf) -> None:
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2", REMOTE_ADDR="10.0.0.1")
    assert ratelimit.client_ip(request) == "10.0.0.1"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert ratelimit.client_ip(request) == "2.2.2.2"
