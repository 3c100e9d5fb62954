"""Steering and vector API views (Neuronpedia's paths and shapes); the work happens in
`steering.steer`, `steering.vectors`, `steering.share` and `steering.search`."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import CharField

from features.api import schemas
from neuronpedia_site.auth import (
    ApiKeyAuthentication,
    ApiKeyRequired,
    SessionAuthentication,
    authed_user,
    request_user,
)
from neuronpedia_site.errors import ApiError
from neuronpedia_site.event_stream import STREAMING_RENDERERS, event_stream
from neuronpedia_site.validation import validated
from steering import search, serializers, share, steer, vectors


def _limit(request: Request) -> str | None:
    """The rate limiter's remaining count (x-limit-remaining), echoed as `limit`."""
    return request.META.get("HTTP_X_LIMIT_REMAINING")


# The steer page calls these from the browser with its session (and CSRF token).
KEY_OR_SESSION = [ApiKeyAuthentication, SessionAuthentication]


# -- vectors -----------------------------------------------------------------------------------


@schemas.open_answer(
    "Vectors",
    serializers.VectorNew,
    '`{message: "Success", url, vector: {modelId, source, index, label, createdAt, '
    "defaultSteerStrength, hookName, values}}`.",
    400,
    401,
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def vector_new(request: Request) -> Response:
    """Upload a steering vector for a model's residual stream at one layer."""
    data = validated(serializers.VectorNew, request.data)
    feature = vectors.create_vector(
        authed_user(request),
        model_id=data["modelId"],
        layer=data["layerNumber"],
        hook_type=data["hookType"],
        values=data["vector"],
        default_strength=data["vectorDefaultSteerStrength"],
        label=data["vectorLabel"],
    )
    return Response(vectors.new_vector_response(feature))


@schemas.open_answer(
    "Vectors",
    serializers.FeatureKey,
    "`{vector: {modelId, layer, index, vectorLabel, createdAt, creatorId, "
    "vectorDefaultSteerStrength, hookName, vector}}`.",
    400,
    404,
)
@api_view(["POST"])
def vector_get(request: Request) -> Response:
    """A stored vector, or an SAE latent's decoder direction."""
    data = validated(serializers.FeatureKey, request.data)
    found = vectors.get_vector(
        data["modelId"], data["source"], data["index"], request_user(request)
    )
    return Response({"vector": found})


@schemas.open_answer(
    "Vectors",
    serializers.FeatureKey,
    '`{message: "Success"}`.',
    400,
    401,
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def vector_delete(request: Request) -> Response:
    """Delete one of your vectors. Answers "Success" even when there was nothing of yours."""
    data = validated(serializers.FeatureKey, request.data)
    user = authed_user(request)
    vectors.delete_vector(user, data["modelId"], data["source"], data["index"])
    return Response({"message": "Success"})


@schemas.open_answer(
    "Vectors",
    None,
    "`{vectors: [{modelId, layer, index, vectorLabel, createdAt, creatorId, "
    "vectorDefaultSteerStrength, hookName, vector}]}`, newest first.",
    401,
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def vector_list_owned(request: Request) -> Response:
    """Your vectors, newest first."""
    return Response({"vectors": vectors.owned_vectors(authed_user(request))})


@schemas.open_answer(
    "Vectors",
    serializers.ActivationUploadBatch,
    '`{message: "N activations created."}`.',
    400,
    401,
    403,
    404,
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def activation_upload_batch(request: Request) -> Response:
    """Add example texts (tokens and activation values) to one of your vectors."""
    data = validated(serializers.ActivationUploadBatch, request.data)
    n = vectors.upload_activations(
        authed_user(request),
        data["modelId"],
        data["source"],
        data["index"],
        data["activations"],
    )
    return Response({"message": f"{n} activations created."})


# -- steering ----------------------------------------------------------------------------------


@schemas.open_answer(
    "Steering",
    serializers.SteerCompletion,
    "`{STEERED, DEFAULT, steeredLogProbs, defaultLogProbs, id, shareUrl, limit}`.",
    400,
    401,
    404,
    503,
)
@api_view(["POST"])
@authentication_classes(KEY_OR_SESSION)
@renderer_classes(STREAMING_RENDERERS)
def steer_completion(request: Request) -> Response | StreamingHttpResponse:
    """Continue a prompt with and without steering.

    With `stream: true` the answer is `text/event-stream` (SSE): `data: {...}` events, each the
    whole answer so far, the last one with `id` and `shareUrl`; an error after the stream has
    started comes as an `{error, message, status}` event."""
    data = validated(serializers.SteerCompletion, request.data)
    plan = steer.plan_completion(data, request_user(request), _limit(request))
    if plan.stream:
        return event_stream(steer.stream_steer(plan))
    return Response(steer.answer_steer(plan))


@schemas.open_answer(
    "Steering",
    serializers.SteerChat,
    "`{STEERED: {raw, chatTemplate, logprobs}, DEFAULT: {...}, id, shareUrl, limit, settings}`.",
    400,
    401,
    404,
    503,
)
@api_view(["POST"])
@authentication_classes(KEY_OR_SESSION)
@renderer_classes(STREAMING_RENDERERS)
def steer_chat(request: Request) -> Response | StreamingHttpResponse:
    """Reply to a chat with and without steering; each side keeps its own conversation.

    With `stream: true` the answer is `text/event-stream` (SSE), as for /api/steer."""
    data = validated(serializers.SteerChat, request.data)
    plan = steer.plan_chat(data, request_user(request), _limit(request))
    if plan.stream:
        return event_stream(steer.stream_steer(plan))
    return Response(steer.answer_steer(plan))


@schemas.open_answer(
    "Steering",
    inline_serializer("SteerLoadRequest", {"steerOutputId": CharField()}),
    "The saved steer answer with `modelId`, `isChat`, `inputText`, `features` and `createdAt`.",
    400,
    401,
    404,
)
@api_view(["POST"])
@authentication_classes(KEY_OR_SESSION)
def steer_load(request: Request) -> Response:
    """A saved steering result (what a /steer/{id} share link shows)."""
    if not isinstance(request.data, dict) or not isinstance(request.data.get("steerOutputId"), str):
        raise ApiError("steerOutputId: This field is required.")
    return Response(share.load(request.data["steerOutputId"], request_user(request)))


@extend_schema(
    tags=["Steering"],
    parameters=[
        OpenApiParameter("modelId", str, description="Model id, e.g. gpt2-small"),
        OpenApiParameter("q", str, description='A feature id ("6-res-jb/123"), an index or text'),
    ],
    responses={
        200: OpenApiResponse(
            OpenApiTypes.OBJECT, description="`{results: [...]}`: matching features and vectors."
        ),
        **schemas.errors(401),
    },
)
@api_view(["GET"])
@authentication_classes(KEY_OR_SESSION)
def feature_search(request: Request) -> Response:
    """Features and vectors of a model whose explanation, label or id matches `q` (steer page)."""
    model_id = request.query_params.get("modelId", "")
    query = request.query_params.get("q", "")
    return Response({"results": search.search_features(model_id, query, request_user(request))})
