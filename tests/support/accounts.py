"""Test users with their API keys: `Account` and how the account fixtures make one."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient


class Account:
    def __init__(self, user: Any, key: str) -> None:
        self.user = user
        self.key = key

    def client(self) -> APIClient:
        api = APIClient()
        api.credentials(HTTP_X_API_KEY=self.key)
        return api


def make_account(name: str, admin: bool = False) -> Account:
    from neuronpedia_site.accounts import create_user

    user, key = create_user(name, password="password-123", admin=admin)
    return Account(user, key)
