"""Helpers of the page tests: a browser client logged in as a test user."""

from __future__ import annotations

from django.test import Client, RequestFactory

from tests.support.accounts import Account


def logged_in(account: Account) -> Client:
    client = Client()
    # django-axes throttles logins per request (client address), so login() needs one.
    assert client.login(
        request=RequestFactory().post("/login"),
        username=account.user.username,
        password="password-123",
    )
    return client
