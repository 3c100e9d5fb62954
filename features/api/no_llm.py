"""`/api/explanation/generate` and `/api/explanation/score` until this site can call an LLM.

Neuronpedia writes and scores explanations with an LLM (OpenAI, Anthropic, Google, OpenRouter)
or its autointerp server; neither is configured here yet, so both routes answer a clear 501
instead of falling through to `explanation/<id>` (a 405). Authentication is checked first, as
for every state change. Replace these views when autointerp lands (docs/differences.md).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from features.api import schemas
from neuronpedia_site.auth import ApiKeyRequired
from neuronpedia_site.errors import ApiError

NO_LLM = "No LLM is configured on this server, so explanations cannot be {} here yet."
NOT_IMPLEMENTED = {
    501: OpenApiResponse(schemas.ErrorSerializer, description="No LLM is configured."),
    **schemas.errors(401),
}


@extend_schema(tags=["Explanations"], request=None, responses=NOT_IMPLEMENTED)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def explanation_generate(request: Request) -> Response:
    """Write an explanation of a feature with an LLM: not available on this server yet (501)."""
    raise ApiError(NO_LLM.format("generated"), status=501)


@extend_schema(tags=["Explanations"], request=None, responses=NOT_IMPLEMENTED)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def explanation_score(request: Request) -> Response:
    """Score an explanation with an LLM: not available on this server yet (501)."""
    raise ApiError(NO_LLM.format("scored"), status=501)
