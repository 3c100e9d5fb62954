"""The inference server's steering endpoints under /v1 (X-SECRET-KEY, snake_case bodies)."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.request import Request
from rest_framework.response import Response

from features import schemas
from steering import serializers, v1
from steering.views import STREAMING_RENDERERS, event_stream, valid_body

ANSWER = (
    "`{outputs: [{type, output, logprobs?}], input?}`, only the requested `types`. With "
    "`stream: true`: `text/event-stream`, cumulative `data: {...}` events, the last complete."
)


def _run(request: Request, serializer: type, chat: bool) -> Response | StreamingHttpResponse:
    v1.check_secret(request.headers.get(v1.SECRET_HEADER))
    data = valid_body(serializer, request)
    if data["stream"]:
        return event_stream(v1.stream(data, chat))
    return Response(v1.answer(data, chat))


@schemas.open_answer(schemas.V1_TAG, serializers.V1SteerCompletion, ANSWER, 400, 401, 404, 503)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([])
@renderer_classes(STREAMING_RENDERERS)
def steer_completion(request: Request) -> Response | StreamingHttpResponse:
    """Steered and default continuations of `prompt` (types STEERED and/or DEFAULT).

    With `stream: true` the answer is `text/event-stream` (SSE). Needs the `X-SECRET-KEY`
    header when the server sets INFERENCE_SECRET."""
    return _run(request, serializers.V1SteerCompletion, chat=False)


@schemas.open_answer(schemas.V1_TAG, serializers.V1SteerCompletionChat, ANSWER, 400, 401, 404, 503)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([])
@renderer_classes(STREAMING_RENDERERS)
def steer_completion_chat(request: Request) -> Response | StreamingHttpResponse:
    """Steered and default assistant replies to the `prompt` messages.

    With `stream: true` the answer is `text/event-stream` (SSE). Needs the `X-SECRET-KEY`
    header when the server sets INFERENCE_SECRET."""
    return _run(request, serializers.V1SteerCompletionChat, chat=True)
