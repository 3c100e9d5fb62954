"""Request bodies checked by a DRF serializer: the one validate helper of every API view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from rest_framework.fields import Field, ListField
from rest_framework.serializers import BaseSerializer, ListSerializer

from neuronpedia_site.errors import ApiError

NOT_AN_OBJECT = "The request body must be a JSON object."


def source_field(field: Field) -> str | None:
    """`field`, declared on a serializer as `source = source_field(...)`: the JSON key `source`.

    DRF's serializer metaclass pops declared fields off the class, so a serializer's `source`
    attribute stays `Field.source` (a str or None). The stubs take the declaration for that
    attribute, which would clash; the cast says what the attribute is once the class exists.
    """
    return cast("str | None", field)


def json_object(data: Any) -> Mapping[str, Any]:
    """`data` when it is one JSON object, else a 400 that says it must be."""
    if not isinstance(data, Mapping):
        raise ApiError(NOT_AN_OBJECT)
    return data


def validated(serializer_class: type[BaseSerializer], data: Any, **kwargs: Any) -> Any:
    """`serializer_class(data=data, **kwargs).validated_data`, or a 400 naming the bad fields.

    A body that should be one JSON object and is something else (a list, a string, a number,
    null) is a 400 that says so, rather than DRF's wording about dictionaries."""
    if not kwargs.get("many"):
        json_object(data)
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class BoundedList(ListField):
    """A list with a length limit, checked before any item is: DRF's ListField validates every
    item first, so 100,000 nested objects cost seconds before `max_length` refuses them.
    (A nested serializer with `many=True, max_length=...` already checks first.)"""

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


def bounded_many(child: BaseSerializer, max_length: int, **kwargs: Any) -> ListSerializer[Any]:
    """A list of `child` objects with a length limit, checked before any item is."""
    return ListSerializer(child=child, max_length=max_length, **kwargs)
