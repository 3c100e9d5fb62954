"""The graph API at Neuronpedia's paths (`/api/graph/...`, `/api/steer-logits`); the work is in
`graphs.catalog`, `graphs.uploads`, `graphs.generation` and `graphs.subgraphs`."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from features.api import schemas
from graphs import catalog, generation, serializers, storage, subgraphs, uploads
from neuronpedia_site.auth import ApiKeyRequired, authed_user, request_user
from neuronpedia_site.errors import ApiError, error
from neuronpedia_site.ratelimit import client_ip
from neuronpedia_site.validation import validated

TAG = "Attribution Graphs"


def page_url(model_id: str, slug: str) -> str:
    return f"{settings.SITE_URL}/{model_id}/graph?slug={slug}"


@schemas.open_answer(
    TAG,
    serializers.GraphGenerate,
    "`{message, s3url, url, numNodes, numLinks}`.",
    400,
    401,
    404,
    503,
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def generate(request: Request) -> Response:
    """Trace a prompt (≤ 64 tokens) on the model's worker and store the graph."""
    data = validated(serializers.GraphGenerate, request.data)
    row, graph = generation.generate(data, authed_user(request))
    return Response(
        {
            "message": "Graph saved to database",
            "s3url": row.url,
            "url": page_url(row.model_id, row.slug),
            "numNodes": len(graph["nodes"]),
            "numLinks": len(graph["links"]),
        }
    )


@schemas.open_answer(TAG, None, "GraphMetadata with `user {name, id}`.", 404)
@api_view(["GET"])
def get_graph(request: Request, model_id: str, slug: str) -> Response:
    """One graph's metadata; its JSON is at `url`."""
    graph = catalog.get_graph(model_id, slug, request_user(request))
    return Response(catalog.graph_dict(graph, with_user=True))


@schemas.open_answer(TAG, None, "GraphMetadata list, featured first.", 404)
@api_view(["GET"])
def list_graphs(request: Request) -> Response:
    """The graphs of one model (`?modelId=`)."""
    model_id = request.query_params.get("modelId", "")
    if not model_id:
        raise ApiError("modelId is required.")
    return Response(catalog.model_graphs(model_id, request_user(request)))


@schemas.open_answer(TAG, None, "Your GraphMetadata list, most recently updated first.", 401)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def list_owned(request: Request) -> Response:
    return Response(catalog.owned_graphs(authed_user(request)))


@schemas.open_answer(
    TAG, serializers.GraphKey, '`{message: "Graph deleted successfully"}`.', 400, 401, 403, 404
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def delete(request: Request) -> Response:
    """Delete one of your graphs and its file."""
    data = validated(serializers.GraphKey, request.data)
    catalog.delete_graph(data["modelId"], data["slug"], authed_user(request))
    return Response({"message": "Graph deleted successfully"})


@schemas.open_answer(
    TAG,
    serializers.GraphSignedPut,
    "`{url, key, putRequestId}`; 429 past 200 a day per IP.",
    400,
    401,
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def signed_put(request: Request) -> Response:
    """Upload 1/2: a one-time URL on this site to PUT the gzip graph file to."""
    data = validated(serializers.GraphSignedPut, request.data)
    answer = uploads.create_put_request(
        authed_user(request), client_ip(request._request), data["filename"]
    )
    return Response(answer)


@schemas.open_answer(TAG, serializers.GraphPutRequestId, "`{message, url}`.", 400, 401, 404)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def save_to_db(request: Request) -> Response:
    """Upload 2/2: record the uploaded graph."""
    data = validated(serializers.GraphPutRequestId, request.data)
    row = uploads.save_to_db(authed_user(request), data["putRequestId"])
    return Response({"message": "Graph saved to database", "url": page_url(row.model_id, row.slug)})


@csrf_exempt
@require_http_methods(["PUT"])
def put_upload(request: HttpRequest, put_request_id: str) -> HttpResponse:
    """The URL `signed-put` returns: takes one PUT of the graph (gzip with
    `Content-Encoding: gzip`, or plain JSON), authorised by its one-time token."""
    try:
        length = int(request.headers.get("Content-Length") or 0)
        gzipped = request.headers.get("Content-Encoding", "").lower() == "gzip"
        uploads.receive_put(put_request_id, request.GET.get("token", ""), request, length, gzipped)
    except ApiError as exc:
        return error(str(exc.detail), status=exc.status_code, **exc.extra)
    return JsonResponse({"message": "Uploaded"})


@require_http_methods(["GET"])
def graph_file(request: HttpRequest, key: str) -> HttpResponseBase:
    """A stored graph's JSON (`GraphMetadata.url`), for whoever may see its model."""
    user = request.user if request.user.is_authenticated else None
    graph = catalog.visible_graphs(user).filter(storage_key=key).first()
    if graph is None:
        return error(catalog.GRAPH_NOT_FOUND, status=404)
    return FileResponse(storage.open_file(key), content_type="application/json")


@schemas.open_answer(
    TAG,
    serializers.GraphTokenize,
    "`{prompt, input_tokens, salient_logits, total_salient_tokens, cumulative_probability}`.",
    400,
    404,
    503,
)
@api_view(["POST"])
def tokenize(request: Request) -> Response:
    """The prompt's tokens and salient next tokens, from the graph worker's forward pass."""
    data = validated(serializers.GraphTokenize, request.data)
    return Response(generation.forward_pass(data, request_user(request)))


@schemas.open_answer(
    TAG,
    serializers.GraphParseChatPrompt,
    "`{messages: [{role, content}] or null, is_chat, prompt, unsteerable_positions}`.",
    400,
    404,
    503,
)
@api_view(["POST"])
def parse_chat_prompt(request: Request) -> Response:
    """The chat turns behind a rendered graph prompt, read with the model's chat template on its
    graph worker; `messages` is null for a plain prompt."""
    data = validated(serializers.GraphParseChatPrompt, request.data)
    return Response(
        generation.parse_chat_prompt(data["modelId"], data["prompt"], request_user(request))
    )


@schemas.open_answer(
    TAG,
    serializers.GraphSteerLogits,
    "`{DEFAULT_GENERATION, STEERED_GENERATION, DEFAULT_LOGITS_BY_TOKEN, STEERED_LOGITS_BY_TOKEN}`.",
    400,
    404,
    503,
)
@api_view(["POST"])
def steer_logits(request: Request) -> Response:
    """Generate with and without ablating or shifting graph features at positions."""
    data = validated(serializers.GraphSteerLogits, request.data)
    return Response(generation.steer_logits(data, request_user(request)))


@schemas.open_answer(
    TAG, serializers.GraphSubgraphSave, "`{success: true, subgraphId}`.", 400, 401, 403, 404
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def subgraph_save(request: Request) -> Response:
    data = validated(serializers.GraphSubgraphSave, request.data)
    return Response({"success": True, "subgraphId": subgraphs.save(data, authed_user(request))})


@schemas.open_answer(TAG, serializers.GraphKey, "`{success: true, subgraphs}`.", 401, 404)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def subgraph_list(request: Request) -> Response:
    data = validated(serializers.GraphKey, request.data)
    found = subgraphs.owned(data["modelId"], data["slug"], authed_user(request))
    return Response({"success": True, "subgraphs": found})


@schemas.open_answer(TAG, serializers.GraphKey, "`{success: true, subgraphs}`.", 404)
@api_view(["POST"])
def subgraph_list_featured(request: Request) -> Response:
    data = validated(serializers.GraphKey, request.data)
    found = subgraphs.featured(data["modelId"], data["slug"], request_user(request))
    return Response({"success": True, "subgraphs": found})


@schemas.open_answer(
    TAG,
    serializers.GraphSubgraphId,
    '`{success: true, message: "Subgraph deleted successfully"}`.',
    401,
    403,
    404,
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def subgraph_delete(request: Request) -> Response:
    data = validated(serializers.GraphSubgraphId, request.data)
    subgraphs.delete(data["subgraphId"], authed_user(request))
    return Response({"success": True, "message": "Subgraph deleted successfully"})
