"""OpenAPI schema additions: how the `X-Api-Key` header appears in the generated schema."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from neuronpedia_site.auth import API_KEY_HEADER


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "neuronpedia_site.auth.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": API_KEY_HEADER,
            "description": "Your API key (sk-np-...), from your account page.",
        }


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "neuronpedia_site.auth.SessionAuthentication"
    name = "SessionCookie"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The site's own pages (logged-in browser; needs the CSRF token).",
        }
