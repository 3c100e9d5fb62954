"""The inference server contract under `/v1` (Neuronpedia's separate FastAPI server, answered
here by the site in front of its workers): snake_case bodies (camelCase accepted) and the
`X-SECRET-KEY` header (`contract.InferenceSecretRequired`). The operations live in
`inference.contract` and, for steering, `inference.v1_steer`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.request import Request
from rest_framework.response import Response

from features.api import schemas
from graphs import server_contract as graph_contract
from inference import contract as inference_contract
from inference import serializers as shapes
from inference import v1_steer
from inference.contract import InferenceSecretRequired, snake_keys
from neuronpedia_site.event_stream import STREAMING_RENDERERS, event_stream
from neuronpedia_site.validation import validated
from steering import serializers as steering_shapes


@extend_schema(
    tags=[schemas.V1_TAG],
    responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description='`{"status": "healthy"}`')},
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def v1_health(request: Request) -> Response:
    """Liveness of the inference contract (unprotected, as Neuronpedia's server)."""
    return Response({"status": "healthy"})


CONTRACT_NOTE = (
    "\n\nSnake_case keys (camelCase accepted). Needs the `X-SECRET-KEY` header when the server "
    "sets INFERENCE_SECRET."
)


def _contract(
    serializer_class: type[serializers.Serializer],
    operation: Callable[[dict[str, Any]], dict[str, Any]],
    doc: str,
) -> Callable[..., Response]:
    """A `/v1` view: check X-SECRET-KEY, accept camelCase keys, validate, run `operation`."""

    def view(request: Request) -> Response:
        body = validated(serializer_class, snake_keys(request.data))
        return Response(operation(body))

    view.__doc__ = doc + CONTRACT_NOTE
    view.__name__ = f"v1_{operation.__name__}"
    wrapped = permission_classes([InferenceSecretRequired])(view)
    wrapped = authentication_classes([])(wrapped)
    document = schemas.open_answer(
        schemas.V1_TAG, serializer_class, "The inference server's answer.", 400, 401, 404, 503
    )
    return document(api_view(["POST"])(wrapped))


v1_tokenize = _contract(
    shapes.V1Tokenize, inference_contract.tokenize, "Token ids and strings of a text."
)
v1_activation_single = _contract(
    shapes.V1ActivationSingle,
    inference_contract.activation_single,
    "One feature's (source + index) or one vector's (vector + hook) activations on a prompt.",
)
v1_activation_single_batch = _contract(
    shapes.V1ActivationSingleBatch,
    inference_contract.activation_single_batch,
    "The same for several prompts.",
)
v1_activation_all = _contract(
    shapes.V1ActivationAll,
    inference_contract.activation_all,
    "Top features of a prompt across the sources of a source set.",
)
v1_activation_all_batch = _contract(
    shapes.V1ActivationAllBatch,
    inference_contract.activation_all_batch,
    "The same for several prompts.",
)
v1_activation_topk_by_token = _contract(
    shapes.V1TopkByToken,
    inference_contract.topk_by_token,
    "Top features of one source at each token of a prompt.",
)
v1_activation_topk_by_token_batch = _contract(
    shapes.V1TopkByTokenBatch,
    inference_contract.topk_by_token_batch,
    "The same for several prompts.",
)
v1_activation_source = _contract(
    shapes.V1Source,
    inference_contract.source_activations,
    "Every non-zero feature activation of one source on 1 to 4 prompts.",
)
v1_util_sae_vector = _contract(
    shapes.V1SaeVector,
    inference_contract.sae_vector,
    "A feature's decoder direction and its hook.",
)
v1_util_sae_topk_by_decoder_cossim = _contract(
    shapes.V1DecoderCossim,
    inference_contract.decoder_cossim,
    "Features of a source whose decoder directions are closest to a feature's or a vector's.",
)

v1_explain_default = _contract(
    shapes.V1ExplainDefault,
    inference_contract.explain_default,
    "Autointerp: explain a feature from its examples with Delphi's default explainer, through "
    "OpenRouter with the caller's `openrouter_key` (`{explanation}`).",
)
v1_score_fuzz_detection = _contract(
    shapes.V1ScoreFuzzDetection,
    inference_contract.score_fuzz_detection,
    "Autointerp: score an explanation by fuzzing (FUZZ) or detection (DETECTION) through "
    "OpenRouter (`{score, breakdown}`); examples with no activation are the negatives.",
)
v1_score_embedding = _contract(
    shapes.V1ScoreEmbedding,
    inference_contract.score_embedding,
    "Autointerp: score an explanation by how well its embedding similarity (a local "
    "all-MiniLM-L6-v2) tells activating examples from the others (`{score, breakdown}`).",
)

# -- steering ---------------------------------------------------------------------------------

STEER_ANSWER = (
    "`{outputs: [{type, output, logprobs?}], input?}`, only the requested `types`. With "
    "`stream: true`: `text/event-stream`, cumulative `data: {...}` events, the last complete."
)


def _steer(request: Request, serializer: type, chat: bool) -> Response | StreamingHttpResponse:
    data = validated(serializer, request.data)
    if data["stream"]:
        return event_stream(v1_steer.stream(data, chat))
    return Response(v1_steer.answer(data, chat))


@schemas.open_answer(
    schemas.V1_TAG, steering_shapes.V1SteerCompletion, STEER_ANSWER, 400, 401, 404, 503
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([InferenceSecretRequired])
@renderer_classes(STREAMING_RENDERERS)
def v1_steer_completion(request: Request) -> Response | StreamingHttpResponse:
    """Steered and default continuations of `prompt` (types STEERED and/or DEFAULT).

    With `stream: true` the answer is `text/event-stream` (SSE). Needs the `X-SECRET-KEY`
    header when the server sets INFERENCE_SECRET."""
    return _steer(request, steering_shapes.V1SteerCompletion, chat=False)


@schemas.open_answer(
    schemas.V1_TAG, steering_shapes.V1SteerCompletionChat, STEER_ANSWER, 400, 401, 404, 503
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([InferenceSecretRequired])
@renderer_classes(STREAMING_RENDERERS)
def v1_steer_completion_chat(request: Request) -> Response | StreamingHttpResponse:
    """Steered and default assistant replies to the `prompt` messages.

    With `stream: true` the answer is `text/event-stream` (SSE). Needs the `X-SECRET-KEY`
    header when the server sets INFERENCE_SECRET."""
    return _steer(request, steering_shapes.V1SteerCompletionChat, chat=True)


# -- the graph server's contract (graphs.server_contract), under /v1/graph/ ---------------------

v1_graph_generate = _contract(
    graph_contract.V1GraphGenerate,
    graph_contract.generate_graph,
    "Graph server: trace a prompt (≤ 64 tokens) and answer the attribution graph JSON.",
)
v1_graph_forward_pass = _contract(
    graph_contract.V1GraphForwardPass,
    graph_contract.forward_pass,
    "Graph server: the prompt's tokens and salient next-token logits.",
)
v1_graph_steer = _contract(
    graph_contract.V1GraphSteer,
    graph_contract.steer,
    "Graph server: generation with and without ablating or shifting transcoder features.",
)
v1_graph_parse_chat_prompt = _contract(
    graph_contract.V1GraphParseChatPrompt,
    graph_contract.parse_chat_prompt,
    "Graph server: the chat turns behind a rendered prompt, by the model's chat template.",
)


@schemas.open_answer(schemas.V1_TAG, None, "`{busy}`.", 401, 503)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([InferenceSecretRequired])
def v1_graph_check_busy(request: Request) -> Response:
    """Graph server: whether graph work would have to wait (no live worker traces graphs)."""
    return Response(graph_contract.check_busy())
