"""OpenAPI schema additions: how the `X-Api-Key` header appears in the generated schema, and
the schemas of the request fields that DRF has no type for (strict numbers, number lists, texts
or lists of texts, feature indexes), with each field's own bounds."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular import openapi
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from rest_framework.serializers import ListSerializer

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


def _bounded(schema: dict[str, Any], **bounds: float | None) -> dict[str, Any]:
    """`schema` with the bounds that are set (`minimum=None` leaves `minimum` out)."""
    return {**schema, **{k: v for k, v in bounds.items() if v is not None}}


class StrictFloatField(OpenApiSerializerFieldExtension):
    target_class = "steering.serializers.StrictFloat"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field = self.target
        return _bounded({"type": "number"}, minimum=field.min_value, maximum=field.max_value)


class NumberListField(OpenApiSerializerFieldExtension):
    target_class = "steering.serializers.NumberList"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = {"type": "array", "items": {"type": "number"}, "minItems": 1}
        return _bounded(schema, maxItems=self.target.max_length)


class FeatureIndexField(OpenApiSerializerFieldExtension):
    target_class = "steering.serializers.FeatureIndex"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {
            "oneOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": "^[0-9]+$"},
            ],
            "description": "A feature index, as an integer or a decimal string.",
        }


class TextOrTextsField(OpenApiSerializerFieldExtension):
    target_class = "inference.serializers.TextOrTexts"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        text = {"type": "string", "minLength": 1, "maxLength": self.target.max_chars}
        texts = {"type": "array", "items": text, "minItems": 1}
        return {
            "oneOf": [
                text,
                _bounded(texts, maxItems=self.target.max_items),
            ],
            "description": "A text, or a list of texts.",
        }


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, plus the length limits of lists of objects (a ListSerializer's
    `max_length` and `min_length`), which it leaves out of the schema."""

    def _unwrap_list_serializer(self, serializer: Any, direction: Any) -> dict[str, Any] | None:
        schema: dict[str, Any] | None = super()._unwrap_list_serializer(serializer, direction)
        if schema is not None and isinstance(serializer, ListSerializer):
            # (the stubs do not declare these attributes of ListSerializer)
            for key, limit in (
                ("maxItems", getattr(serializer, "max_length", None)),
                ("minItems", getattr(serializer, "min_length", None)),
            ):
                if limit is not None:
                    schema[key] = limit
        return schema
