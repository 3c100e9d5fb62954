"""Request bodies checked by a DRF serializer: the one validate helper of every API view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.serializers import BaseSerializer

from neuronpedia_site.errors import ApiError

NOT_AN_OBJECT = "The request body must be a JSON object."


def validated(serializer_class: type[BaseSerializer], data: Any, **kwargs: Any) -> Any:
    """`serializer_class(data=data, **kwargs).validated_data`, or a 400 naming the bad fields.

    A body that should be one JSON object and is something else (a list, a string, a number,
    null) is a 400 that says so, rather than DRF's wording about dictionaries."""
    if not kwargs.get("many") and not isinstance(data, Mapping):
        raise ApiError(NOT_AN_OBJECT)
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
