"""API authentication: the `X-Api-Key` header, and Neuronpedia's three access levels.

Views pick a level with `permission_classes`: none (optional user), `ApiKeyRequired`, or
`AdminRequired`. Browsers that are logged in reach the same API with their session (and CSRF).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from neuronpedia_site.models import User, user_for_api_key

API_KEY_HEADER = "X-Api-Key"
AUTH_REQUIRED_MESSAGE = (
    "This endpoint requires authorization. Specify your API key in the header x-api-key. "
    "Your API key is on your account page."
)


class NotAuthenticated(exceptions.NotAuthenticated):
    default_detail = AUTH_REQUIRED_MESSAGE


def api_key_user(request: HttpRequest) -> tuple[str, User | None]:
    """The `X-Api-Key` header and its user (None if unknown), looked up once per request.

    The rate limiter needs the user before DRF authenticates; both share this one query.
    """
    # Stashed on the request by name: HttpRequest declares no such attribute.
    cached: tuple[str, User | None] | None = getattr(request, "_api_key_user", None)
    if cached is None:
        key = request.headers.get(API_KEY_HEADER, "").strip()
        cached = (key, user_for_api_key(key) if key else None)
        setattr(request, "_api_key_user", cached)
    return cached


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates by the `X-Api-Key` header; no header means "try the next scheme"."""

    def authenticate(self, request: Request) -> tuple[User, str] | None:
        key, user = api_key_user(request._request)
        if not key:
            return None
        if user is None:
            # Neuronpedia treats an unknown key as anonymous on optional endpoints; the
            # permission classes turn that into 401 where a user is required.
            # read by name in ApiKeyRequired: DRF's Request declares no such attribute
            setattr(request, "_invalid_api_key", True)
            return None
        return user, key

    def authenticate_header(self, request: Request) -> str:
        return API_KEY_HEADER


class SessionAuthentication(authentication.SessionAuthentication):
    """The logged-in browser session (with CSRF), for the site's own pages calling the API."""


def request_user(request: Request) -> User | None:
    """The logged-in user, or None for anonymous callers."""
    user = getattr(request, "user", None)
    return user if isinstance(user, User) and user.is_authenticated else None


def authed_user(request: Request) -> User:
    """The caller of a view guarded by `ApiKeyRequired` (which has turned anonymous away)."""
    user = request_user(request)
    if user is None:
        raise NotAuthenticated()
    return user


class ApiKeyRequired(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if request_user(request) is None:
            if getattr(request, "_invalid_api_key", False):
                raise exceptions.AuthenticationFailed("Invalid API key in the header x-api-key.")
            raise NotAuthenticated()
        return True


class AdminRequired(ApiKeyRequired):
    message = "This endpoint requires an admin user."

    def has_permission(self, request: Request, view: Any) -> bool:
        super().has_permission(request, view)
        user = request_user(request)
        return bool(user and user.admin)
