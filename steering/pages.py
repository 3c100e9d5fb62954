"""The steer page (`/{modelId}/steer`) and the share page of a saved result (`/steer/{id}`)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from bus.steering import STEER_METHODS
from features.access import get_visible_feature
from features.models import Feature, Model
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User
from steering import share
from steering.search import DEFAULT_FEATURE_STRENGTH, best_explanation, search_result
from steering.serializers import MAX_PROMPT_CHARS, MAX_STEER_TOKENS, MAX_STEER_TOKENS_THINKING


def _user(request: HttpRequest) -> User | None:
    return request.user if request.user.is_authenticated else None


STRENGTH_PRESETS = (("Off", 0.0), ("Low", 5.0), ("Medium", 10.0), ("High", 20.0), ("Max", 40.0))


def _preselected(request: HttpRequest, model: Model, user: User | None) -> dict[str, Any] | None:
    """`?source=&index=` (the feature page's Steer button): that feature, if the viewer may see
    it, with its best explanation."""
    layer, index = request.GET.get("source"), request.GET.get("index")
    if not layer or not index:
        return None
    try:
        feature = get_visible_feature(model.id, layer, index, user)
    except ApiError:
        return None
    return search_result(feature, best_explanation(feature))


def steer_page(request: HttpRequest, model_id: str) -> HttpResponse:
    user = _user(request)
    model = Model.objects.viewable_by(user).filter(id=model_id).first()
    if model is None:
        raise Http404("Model not found")
    own_vectors = (
        Feature.objects.filter(model=model, has_vector=True, creator=user)
        .only("layer", "index", "vector_label", "vector_default_steer_strength", "model")
        .order_by("-created_at")
        if user is not None
        else []
    )
    config = {
        "modelId": model.id,
        "maxTokens": MAX_STEER_TOKENS_THINKING if model.thinking else MAX_STEER_TOKENS,
        "maxPromptChars": MAX_PROMPT_CHARS,
        "methods": list(STEER_METHODS),
        "defaultStrength": DEFAULT_FEATURE_STRENGTH,
        "load": request.GET.get("load") or None,
        "preselect": _preselected(request, model, user),
        "presets": [{"label": label, "value": value} for label, value in STRENGTH_PRESETS],
        "vectors": [
            {
                "modelId": v.model_id,
                "layer": v.layer,
                "index": v.index,
                "description": v.vector_label or "",
                "hasVector": True,
                "defaultStrength": v.vector_default_steer_strength,
            }
            for v in own_vectors
        ],
    }
    return render(request, "steering/steer.html", {"model": model, "config": config})


def share_page(request: HttpRequest, steer_output_id: str) -> HttpResponse:
    try:
        result = share.load(steer_output_id, _user(request))
    except ApiError as exc:
        raise Http404(share.NOT_FOUND) from exc
    return render(request, "steering/share.html", {"result": result})
