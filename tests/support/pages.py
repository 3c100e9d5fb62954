"""Helpers of the page tests: a browser client logged in as a test user."""

from __future__ import annotations

from django.test import Client

from tests.support.accounts import Account


def logged_in(account: Account) -> Client:
    client = Client()
    assert client.login(username=account.user.username, password="password-123")
    return client
