"""Sign-up refuses weak passwords with a message that says why; after LOGIN_FAILURE_LIMIT failed
logins a username is refused from that address, right password or not, until the cool-off ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from neuronpedia_site.models import User
from tests.support.accounts import Account

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
        ("8451902736", "This password is entirely numeric."),
        ("erin-the-dev", "The password is too similar to the username."),
    ],
)
def test_sign_up_refuses_a_weak_password_and_says_why(password: str, message: str) -> None:
    response = Client().post("/signup", {"username": "erin-the-dev", "password": password})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.filter(username="erin-the-dev").exists()


def test_sign_up_takes_a_strong_password() -> None:
    response = Client().post("/signup", {"username": "erin", "password": "tidal-quartz-91"})
    assert response.status_code == 302
    assert User.objects.get(username="erin").check_password("tidal-quartz-91")


def _log_in(client: Client, password: str, address: str = "203.0.113.7") -> int:
    response = client.post(
        "/login", {"username": "alice", "password": password}, REMOTE_ADDR=address
    )
    return response.status_code


def test_failed_logins_lock_the_user_out_even_with_the_right_password(alice: Account) -> None:
    client = Client()
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _log_in(client, "wrong-guess") == 200  # the form again, with its error
    assert _log_in(client, "wrong-guess") == 429

    refused = client.post(
        "/login", {"username": "alice", "password": "password-123"}, REMOTE_ADDR="203.0.113.7"
    )
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.content.decode()
    assert "_auth_user_id" not in client.session

    # Another address is not locked out: a stranger cannot lock alice out of her account.
    assert _log_in(Client(), "password-123", address="198.51.100.2") == 302


def test_the_lockout_ends_after_the_cool_off(alice: Account) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "wrong-guess")
    assert _log_in(client, "password-123") == 429

    # Let the cool-off pass: the failures are older than AXES_COOLOFF_TIME.
    attempt = AccessAttempt.objects.get(username="alice")
    attempt.attempt_time -= settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    attempt.save(update_fields=["attempt_time"])
    assert _log_in(client, "password-123") == 302
    assert client.session["_auth_user_id"] == str(alice.user.pk)


def test_a_client_without_an_address_is_throttled_too(alice: Account) -> None:
    """Behind a proxy on a unix socket REMOTE_ADDR is empty: still a form, never a 500."""
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _log_in(client, "wrong-guess", address="") == 200
    assert _log_in(client, "wrong-guess", address="") == 429


def test_the_admin_login_is_throttled_too(admin_account: Account) -> None:
    client = Client()
    name = admin_account.user.username
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = client.post("/admin/login/", {"username": name, "password": "wrong-guess"})
        assert wrong.status_code == 200
    assert client.post("/admin/login/", {"username": name, "password": "x"}).status_code == 429
    right = client.post("/admin/login/", {"username": name, "password": "password-123"})
    assert right.status_code == 429
