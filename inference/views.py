"""API views that run a model: thin wrappers over `inference.search`,
`inference.custom_activations`, `inference.tools` and, for the `/v1` inference
contract, `inference.contract`."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from features.api import schemas
from inference import custom_activations
from inference import search as inference_search
from inference import serializers as shapes
from inference import tools as inference_tools
from neuronpedia_site import timing
from neuronpedia_site.auth import request_user
from neuronpedia_site.responses import ResponseThen
from neuronpedia_site.validation import validated


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
    body = validated(shapes.ActivationNewRequest, request.data)
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
    body = validated(shapes.ActivationSourceRequest, request.data)
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
def search_all(request: Request) -> HttpResponse:
    """The top features of a text across the sources of a source set."""
    body = validated(shapes.SearchAllRequest, request.data)
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
def search_topk_by_token(request: Request) -> HttpResponse:
    """The top features of one source at each token of a text."""
    body = validated(shapes.TopkByTokenRequest, request.data)
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
    body = validated(shapes.CossimRequest, request.data)
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
    body = validated(shapes.TokenizeRequest, request.data)
    return Response(
        inference_tools.tokenize(
            body["modelId"], body["prompt"], body["prependBos"], request_user(request)
        )
    )
