"""API views of the features app: features, models, source sets, explanations, search, uploads.

Thin wrappers: validate the body (`features.api.serializers`), call one domain function, return
its JSON. Docstrings are shown to API users (OpenAPI / `/api/docs`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from features import autointerp, catalog, explanations, feature_detail, search, umap, uploads
from features.access import NOT_FOUND_MESSAGE
from features.api import schemas
from features.api import serializers as s
from neuronpedia_site.auth import ApiKeyRequired, authed_user, request_user
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User
from neuronpedia_site.validation import bounded_many, validated

FEATURE_PATH = [
    OpenApiParameter(
        "model_id", str, OpenApiParameter.PATH, description="Model id, e.g. gpt2-small"
    ),
    OpenApiParameter("layer", str, OpenApiParameter.PATH, description="Source id, e.g. 6-res-jb"),
    OpenApiParameter(
        "index",
        {"type": "string", "pattern": "^[0-9]+$"},
        OpenApiParameter.PATH,
        description="Feature index, e.g. 14057",
    ),
]
EXPLANATION_PATH = [OpenApiParameter("explanation_id", str, OpenApiParameter.PATH)]


def _json_text(text: str) -> HttpResponse:
    """A body PostgreSQL already wrote as JSON, sent as is."""
    return HttpResponse(text, content_type="application/json")


@extend_schema(
    tags=["Features"],
    parameters=FEATURE_PATH,
    responses={200: schemas.FeatureDetailSerializer, **schemas.errors(404)},
)
@api_view(["GET"])
def feature(request: Request, model_id: str, layer: str, index: str) -> HttpResponse:
    """A feature with its model, source, set, public activations, explanations, lists and
    comments. Optional auth: private models and sources show to their creators only."""
    text = feature_detail.feature_json(model_id, layer, index, request_user(request))
    if text is None:
        raise ApiError(NOT_FOUND_MESSAGE, status=404)
    return _json_text(text)


@extend_schema(
    tags=["Features"],
    request=bounded_many(
        s.FeatureBatchItemSerializer(), max_length=feature_detail.MAX_BATCH_FEATURES
    ),
    responses={200: schemas.FeatureSerializer(many=True), **schemas.errors(400)},
)
@api_view(["POST"])
def features_batch(request: Request) -> HttpResponse:
    """Several features at once (at most 250), in request order, with explanations and their
    public activations (the top `maxActsToReturn` when given). Hidden or missing features are
    left out."""
    items = validated(
        s.FeatureBatchItemSerializer,
        request.data,
        many=True,
        max_length=feature_detail.MAX_BATCH_FEATURES,
        error_messages={"max_length": "At most {max_length} features per request."},
    )
    refs = [
        feature_detail.FeatureRef(i["modelId"], i["layer"], i["index"], i.get("maxActsToReturn"))
        for i in items
    ]
    return _json_text(feature_detail.features_json(refs, request_user(request)))


@extend_schema(
    tags=["Models"], request=None, responses={200: schemas.ModelDetailSerializer(many=True)}
)
@api_view(["POST"])
def model_list(request: Request) -> Response:
    """The models you can see, each with its source sets and their sources."""
    return Response(catalog.models_with_sources(request_user(request)))


@extend_schema(
    tags=["Models"],
    request=s.ModelGetSerializer,
    responses={200: schemas.ModelDetailSerializer, **schemas.errors(400, 404)},
)
@api_view(["POST"])
def model_get(request: Request) -> Response:
    """One model with the source sets and sources you can see."""
    body = validated(s.ModelGetSerializer, request.data)
    return Response(catalog.model_with_sets(body["id"], request_user(request)))


@extend_schema(
    tags=["Models"],
    request=s.NewModelSerializer,
    responses={200: schemas.ModelRowSerializer, **schemas.errors(400, 401)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def model_new(request: Request) -> Response:
    """Create an UNLISTED model that you own (for uploading your own dashboards). 5 per hour."""
    body = validated(s.NewModelSerializer, request.data)
    return Response(
        catalog.new_model(
            authed_user(request),
            body["id"],
            body["layers"],
            body.get("displayName"),
            body.get("url"),
        )
    )


@extend_schema(
    tags=["Source sets"],
    parameters=[
        OpenApiParameter("model_id", str, OpenApiParameter.PATH),
        OpenApiParameter("name", str, OpenApiParameter.PATH, description="Set name, e.g. res-jb"),
    ],
    responses={200: schemas.SourceSetDetailSerializer, **schemas.errors(404)},
)
@api_view(["GET"])
def source_set(request: Request, model_id: str, name: str) -> Response:
    """A source set with its model, release and the sources you can see."""
    return Response(catalog.source_set_with_sources(model_id, name, request_user(request)))


@extend_schema(
    tags=["Source sets"],
    request=s.NewSourceSetSerializer,
    responses={200: schemas.SourceSetDetailSerializer, **schemas.errors(400, 401)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def source_set_new(request: Request) -> Response:
    """Create an UNLISTED custom source set on a model you can see, with one source per layer
    (`{layer}-{name}`); you can then upload features into it. 10 per hour."""
    body = validated(s.NewSourceSetSerializer, request.data)
    return Response(
        catalog.new_source_set(
            authed_user(request),
            body["modelId"],
            body["name"],
            body.get("description"),
            body.get("url"),
        )
    )


@extend_schema(
    tags=["Features"],
    request=s.UploadBatchSerializer,
    responses={200: schemas.MessageSerializer, **schemas.errors(400, 401, 403, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def upload_batch(request: Request) -> Response:
    """Upload up to 128 features (activations, logits, density, explanations) into a source of
    a set you created. The source is created if the set lacks it; features uploaded again are
    replaced."""
    body = validated(s.UploadBatchSerializer, request.data)
    return Response(
        uploads.upload_batch(
            authed_user(request), body["modelId"], body["source"], body["features"]
        )
    )


@extend_schema(
    tags=["Explanations"],
    parameters=EXPLANATION_PATH,
    responses={200: schemas.ExplanationDetailSerializer, **schemas.errors(404)},
)
@api_view(["GET"])
def explanation(request: Request, explanation_id: str) -> Response:
    """An explanation with its author, scores, votes, model and feature."""
    return Response(explanations.explanation_detail(explanation_id, request_user(request)))


@extend_schema(
    tags=["Explanations"],
    request=None,
    responses={200: schemas.MessageSerializer, **schemas.errors(401)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def explanation_new(request: Request) -> Response:
    """Disabled, as on Neuronpedia: the answer says so. Upload explanations with
    `/api/feature/upload-batch` instead."""
    return Response({"message": explanations.NEW_ENDPOINT_INACTIVE})


@extend_schema(tags=["Explanations"], request=None, responses=schemas.errors(400))
@api_view(["GET"])
def explanation_export(request: Request) -> Response:
    """Removed, as on Neuronpedia: a 400 whose `newUrl` is the public datasets bucket."""
    raise ApiError(explanations.EXPORT_REMOVED, extra={"newUrl": explanations.DATASETS_URL})


@extend_schema(
    tags=["Explanations"],
    parameters=EXPLANATION_PATH,
    request=None,
    responses={200: schemas.VoteSerializer, **schemas.errors(401, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def explanation_vote(request: Request, explanation_id: str) -> Response:
    """Upvote an explanation (once; voting again returns the same vote)."""
    user = authed_user(request)
    found = explanations.get_visible_explanation(explanation_id, user)
    return Response(explanations.vote(found, user))


@extend_schema(
    tags=["Explanations"],
    parameters=EXPLANATION_PATH,
    request=None,
    responses={200: schemas.VoteSerializer, **schemas.errors(401, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def explanation_unvote(request: Request, explanation_id: str) -> Response:
    """Withdraw your vote; returns the deleted vote."""
    return Response(explanations.unvote(explanation_id, authed_user(request)))


@extend_schema(
    tags=["Explanations"],
    parameters=EXPLANATION_PATH,
    request=None,
    responses={200: schemas.MessageSerializer, **schemas.errors(401, 403, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def explanation_delete(request: Request, explanation_id: str) -> Response:
    """Delete an explanation you wrote."""
    user = authed_user(request)
    explanations.delete_explanation(
        explanations.get_visible_explanation(explanation_id, user), user
    )
    return Response({"message": "Explanation deleted"})


@extend_schema(
    tags=["Explanations"],
    request=s.ExplanationSearchSerializer,
    responses={200: schemas.SearchResponseSerializer, **schemas.errors(400, 404)},
)
@api_view(["POST"])
def explanation_search(request: Request) -> Response:
    """Search explanations of some sources of a model (`layers: []` for all of them); 20 per
    page, continue with `offset: nextOffset`. 200 per hour."""
    return _search_explanations(
        request,
        s.ExplanationSearchSerializer,
        lambda b, u: search.scope_for_layers(b["modelId"], b["layers"], u),
    )


@extend_schema(
    tags=["Explanations"],
    request=s.ExplanationSearchAllSerializer,
    responses={200: schemas.SearchResponseSerializer, **schemas.errors(400)},
)
@api_view(["POST"])
def explanation_search_all(request: Request) -> Response:
    """Search the explanations of every model and source listed for you."""
    return _search_explanations(
        request, s.ExplanationSearchAllSerializer, lambda b, u: search.scope_all(u)
    )


@extend_schema(
    tags=["Explanations"],
    request=s.ExplanationSearchModelSerializer,
    responses={200: schemas.SearchResponseSerializer, **schemas.errors(400)},
)
@api_view(["POST"])
def explanation_search_model(request: Request) -> Response:
    """Search the explanations of one model's listed sources."""
    return _search_explanations(
        request,
        s.ExplanationSearchModelSerializer,
        lambda b, u: search.scope_for_model(b["modelId"], u),
    )


@extend_schema(
    tags=["Explanations"],
    request=s.ExplanationSearchReleaseSerializer,
    responses={200: schemas.SearchResponseSerializer, **schemas.errors(400, 404)},
)
@api_view(["POST"])
def explanation_search_release(request: Request) -> Response:
    """Search the explanations of the sources (with dashboards) of a release's source sets."""
    return _search_explanations(
        request,
        s.ExplanationSearchReleaseSerializer,
        lambda b, u: search.scope_for_release(b["releaseName"], u),
    )


def _search_explanations(
    request: Request, serializer: type, scope: Callable[[dict[str, Any], User | None], Any]
) -> Response:
    """The four explanation searches differ only in their body and in which sources they cover."""
    body = validated(serializer, request.data)
    user = request_user(request)
    sources = scope(body, user)
    return Response(search.search_explanations(body, body["query"], body["offset"], sources, user))


@extend_schema(
    tags=["Explanations"],
    request=s.ExplanationGenerateRequestSerializer,
    responses={
        200: OpenApiResponse(OpenApiTypes.OBJECT, description="`{explanation}`: the new row."),
        **schemas.errors(400, 401, 404, 503),
    },
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def explanation_generate(request: Request) -> Response:
    """Auto-interp: explain a feature with an LLM and save the explanation (`{explanation}`).
    Needs an LLM key of yours (`/api/user/api-key-update`) for the explainer model's provider,
    or an OpenRouter key."""
    body = validated(s.ExplanationGenerateRequestSerializer, request.data)
    return Response(autointerp.generate(authed_user(request), body))


@extend_schema(
    tags=["Explanations"],
    request=s.ExplanationScoreRequestSerializer,
    responses={
        200: OpenApiResponse(OpenApiTypes.OBJECT, description="`{score}`: the new row."),
        **schemas.errors(400, 401, 404, 503),
    },
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def explanation_score(request: Request) -> Response:
    """Auto-interp: score an explanation (`{score}`, with its `jsonDetails` breakdown). LLM
    scorers need your OpenRouter key; `eleuther_embedding` runs a local model and needs none."""
    body = validated(s.ExplanationScoreRequestSerializer, request.data)
    return Response(autointerp.score(authed_user(request), body))


@extend_schema(
    tags=["Explanations"],
    parameters=[OpenApiParameter("score_id", str, OpenApiParameter.PATH)],
    request=None,
    responses={200: schemas.MessageSerializer, **schemas.errors(401, 403, 404)},
)
@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def explanation_score_delete(request: Request, score_id: str) -> Response:
    """Delete an explanation score you created."""
    autointerp.delete_score(score_id, authed_user(request))
    return Response({"message": "Explanation score deleted"})


@schemas.open_answer(
    "Features",
    s.UmapSerializer,
    "`{[layer]: [{id, layer, index, description, umap_cluster, umap_x, umap_y, "
    "umap_log_feature_sparsity}]}`: each source's stored 2-d layout, one point per feature "
    "(`id` and `description`: its best explanation, null when it has none).",
    400,
    404,
)
@api_view(["POST"])
def umap_layout(request: Request) -> Response:
    """The UMAP layouts of sources (`layers`) of a model. Optional auth: private models and
    sources show to their creators only; asking for one you cannot see is a 404."""
    body = validated(s.UmapSerializer, request.data)
    return Response(umap.umap_points(body["modelId"], body["layers"], request_user(request)))
