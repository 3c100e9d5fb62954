"""Graph pages: `/{modelId}/graph` (a model's graphs and the generate form), with `?slug=` the
viewer (circuit-tracer's, from the installed package; `&embed=true` without the site's frame),
and the feature JSON the viewer's feature panel fetches."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from graphs import catalog, feature_json, serializers, viewer
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

# The viewer's scripts write `style="..."` attributes into the HTML they build (feature titles,
# tooltips); only this page allows inline style attributes, never inline <style> or scripts.
VIEWER_CSP = {"style-src-attr": ["'unsafe-inline'"]}
# An embedded viewer may be framed by any site (upstream's embed links); it offers no action.
EMBED_FRAMING = {"frame-ancestors": ["*"]}


def _user(request: HttpRequest) -> User | None:
    return request.user if request.user.is_authenticated else None


def graph_page(request: HttpRequest, model_id: str) -> HttpResponse:
    user = _user(request)
    try:
        model = catalog.require_model(model_id, user)
    except ApiError as exc:
        raise Http404("Model not found") from exc
    slug = request.GET.get("slug", "")
    if not slug:
        context = {
            "model": model,
            "graphs": catalog.model_graphs(model.id, user),
            "limits": serializers.GraphGenerate().fields,
        }
        return render(request, "graphs/list.html", context)
    try:
        graph = catalog.get_graph(model.id, slug, user)
    except ApiError as exc:
        raise Http404(catalog.GRAPH_NOT_FOUND) from exc
    embed = request.GET.get("embed") == "true"
    config = {
        "modelId": model.id,
        "slug": graph.slug,
        "jsonUrl": f"/graph-files/{graph.storage_key}",
        "sourceSet": graph.source_set_name or model.default_graph_source_set_name or "",
        "embed": embed,
        "loggedIn": user is not None,
    }
    context = {
        "model": model,
        "graph": graph,
        "config": config,
        "embed": embed,
        "missing": viewer.missing(),
        "scripts": viewer.ASSET_SCRIPTS,
        "styles": viewer.ASSET_STYLES,
    }
    response = render(request, "graphs/viewer.html", context)
    # django-csp's decorators set these attributes; the policy depends on `embed` here.
    setattr(response, "_csp_update", VIEWER_CSP)
    if embed:
        setattr(response, "_csp_replace", EMBED_FRAMING)
        setattr(response, "xframe_options_exempt", True)
    return response


def feature(request: HttpRequest, model_id: str, source_id: str, index: int) -> JsonResponse:
    """`/{modelId}/graph-features/{source}/{index}.json`: a feature in the viewer's shape."""
    try:
        data = feature_json.feature_json(model_id, source_id, index, _user(request))
    except ApiError as exc:
        raise Http404("Feature not found") from exc
    return JsonResponse(data)
