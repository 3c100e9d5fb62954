"""API views of the features app: thin wrappers over `features.catalog` and friends."""

from __future__ import annotations

from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from features import catalog
from neuronpedia_site.auth import request_user


@api_view(["POST"])
def model_list(request: Request) -> Response:
    """The models you can see, each with its source sets and their sources."""
    return Response(catalog.models_with_sources(request_user(request)))
