"""API views that run a model: thin wrappers over `features.inference_search`,
`features.custom_activations`, `features.inference_tools` and, for the `/v1` inference
contract, `features.inference_contract`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from features import (
    custom_activations,
    inference_contract,
    inference_search,
    inference_tools,
    schemas,
)
from features import inference_serializers as shapes
from neuronpedia_site import timing
from neuronpedia_site.auth import request_user
from neuronpedia_site.responses import ResponseThen


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@schemas.open_answer(
    "Inference",
    shapes.ActivationNewRequest,
    "An Activation-like object `{tokens, values, maxValue, minValue, maxValueTokenIndex, "
    "modelId, layer, index, ...}`, or a list of them when `customText` is a list.",
    400,
    404,
    503,
)
@api_view(["POST"])
def activation_new(request: Request) -> Response:
    """Activations of one feature (or vector) on your text: an Activation-like object, or a list
    of them when `customText` is a list."""
    body = _valid(shapes.ActivationNewRequest, request.data)
    return Response(
        custom_activations.new_activations(
            body["key"], body["text"], body["ignore_bos"], request_user(request)
        )
    )


@schemas.open_answer(
    "Inference",
    shapes.ActivationSourceRequest,
    '`{results: [{tokens, activeFeatures: {"index": [[token, value], ...]}}]}`.',
    400,
    404,
    503,
)
@api_view(["POST"])
def activation_source(request: Request) -> Response:
    """Every feature of one source that fires on your text (1 to 4 texts)."""
    body = _valid(shapes.ActivationSourceRequest, request.data)
    return Response(
        custom_activations.source_activations(
            body["modelId"], body["source"], body["customText"], request_user(request)
        )
    )


@schemas.open_answer(
    "Inference",
    shapes.SearchAllRequest,
    "`{tokens, result: [{modelId, layer, index, values, maxValue, maxValueIndex, neuron}], "
    "sortIndexes}`; `{results: [...]}` when `text` is a list.",
    400,
    404,
    503,
)
@api_view(["POST"])
def search_all(request: Request) -> Response:
    """The top features of a text across the sources of a source set."""
    body = _valid(shapes.SearchAllRequest, request.data)
    search = inference_search.SearchAll.from_wire(body)
    after_sending: list[Callable[[], None]] = []
    answer = inference_search.search_all(search, request_user(request), after_sending.append)
    with timing.part("render"):
        return ResponseThen(answer, after_sending)


@schemas.open_answer(
    "Inference",
    shapes.TopkByTokenRequest,
    "`{source, results: [{position, token, isSpecial, topFeatures: [{activationValue, "
    "featureIndex, feature}]}]}`.",
    400,
    404,
    503,
)
@api_view(["POST"])
def search_topk_by_token(request: Request) -> Response:
    """The top features of one source at each token of a text."""
    body = _valid(shapes.TopkByTokenRequest, request.data)
    search = inference_search.TopkByToken.from_wire(body)
    return ResponseThen(inference_search.search_topk_by_token(search, request_user(request)))


@schemas.open_answer(
    "Inference",
    shapes.CossimRequest,
    "`{feature?, topk_decoder_cossim_features: [{feature: {model, source, index}, "
    "cosine_similarity}]}` (10 results).",
    400,
    404,
    503,
)
@api_view(["POST"])
def cossim(request: Request) -> Response:
    """The features of a target source whose decoder directions are closest to a feature's."""
    body = _valid(shapes.CossimRequest, request.data)
    return Response(
        inference_tools.cossim(
            body["modelId"],
            body["source"],
            body["index"],
            body["targetModelId"],
            body["targetSourceId"],
            request_user(request),
        )
    )


@schemas.open_answer(
    "Inference",
    shapes.TokenizeRequest,
    "`{tokens: [int], token_strings: [str], prepend_bos}`.",
    400,
    404,
    503,
)
@api_view(["POST"])
def tokenize(request: Request) -> Response:
    """A prompt's tokens (ids and strings) under the model's tokenizer."""
    body = _valid(shapes.TokenizeRequest, request.data)
    return Response(
        inference_tools.tokenize(
            body["modelId"], body["prompt"], body["prependBos"], request_user(request)
        )
    )


# -- /v1: the inference server contract --------------------------------------------------------


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
        body = _valid(serializer_class, inference_contract.snake_keys(request.data))
        return Response(operation(body))

    view.__doc__ = doc + CONTRACT_NOTE
    view.__name__ = f"v1_{operation.__name__}"
    wrapped = permission_classes([inference_contract.InferenceSecretRequired])(view)
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
