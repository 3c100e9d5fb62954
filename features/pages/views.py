"""The browser pages at Neuronpedia's public URLs. Each view looks up what the URL names (404
when the viewer may not see it), calls one function of `features.pages.browse`,
`features.pages.feature` or `features.pages.search` and renders a template; everything dynamic
in the browser goes through the JSON API."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from features.feature_detail import get_feature
from features.models import Model
from features.pages import browse as pages
from features.pages import explore
from features.pages import feature as dashboard
from features.pages.embed import allow_framing, embed_options
from features.pages.search import MIN_QUERY_LENGTH, search_explanations
from features.search import MAX_OFFSET
from neuronpedia_site.accounts import NEW_KEY_SESSION
from neuronpedia_site.models import User, UserSecret


def _viewer(request: HttpRequest) -> User | None:
    return request.user if request.user.is_authenticated else None


def _offset_param(request: HttpRequest) -> int:
    """`?offset=`, from 0 to MAX_OFFSET (anything else reads as the nearest of those)."""
    try:
        return min(max(int(request.GET.get("offset", "0")), 0), MAX_OFFSET)
    except ValueError:
        return 0


def home(request: HttpRequest) -> HttpResponse:
    context = pages.home_context(_viewer(request))
    featured = context["featured"]
    if featured is not None:
        context["featured_tokens"] = dashboard.shade(
            featured.tokens, featured.values, featured.max_value
        )
    return render(request, "home.html", context)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    assert user is not None  # login_required
    secret = UserSecret.objects.filter(user=user, type=UserSecret.Type.NEURONPEDIA).first()
    new_key = request.session.pop(NEW_KEY_SESSION, None)
    context = {
        "secret": secret,
        "new_key": new_key,
        "lists": pages.lists_of(user),
        "llm_keys": pages.llm_key_prefixes(user),
    }
    return render(request, "account.html", context)


def model_page(request: HttpRequest, model_id: str) -> HttpResponse:
    """A model's page; a release's when no model has the name (upstream's `/{modelId}` order)."""
    user = _viewer(request)
    model = Model.objects.viewable_by(user).filter(id=model_id).first()
    if model is None:
        release = explore.viewable_release(model_id, user)
        context = {"release": release, "sets": explore.release_sets(release, user)}
        return render(request, "features/release.html", context)
    return render(request, "features/model.html", pages.model_context(model, user))


def random_feature(request: HttpRequest, model_id: str, source: str | None = None) -> HttpResponse:
    """`/random/{modelId}[/{source}]`: a redirect to a random feature with a dashboard."""
    feature = explore.random_feature(model_id, _viewer(request), source)
    return redirect("feature-page", model_id=model_id, layer=feature.layer, index=feature.index)


def search_topk_by_token(request: HttpRequest) -> HttpResponse:
    """Top features at each token of a text; the browser posts to `/api/search-topk-by-token/`
    (`?modelId=&source=&text=` fill the form and run it)."""
    context = {
        "sources_by_model": explore.searchable_sources(_viewer(request)),
        "model_id": request.GET.get("modelId", ""),
        "source": request.GET.get("source", ""),
        "text": request.GET.get("text", ""),
    }
    return render(request, "features/search_topk_by_token.html", context)


def browse(request: HttpRequest, model_id: str, source_or_set: str) -> HttpResponse:
    """A source's (or a whole set's) features, paginated; `?jump=N` opens feature N."""
    user = _viewer(request)
    target = pages.browse_target(pages.viewable_model(model_id, user), source_or_set, user)
    jump_error = ""
    jump = request.GET.get("jump", "").strip()
    if jump and target.sources:
        layer = request.GET.get("source") or target.sources[0].source_id
        if layer in {s.source_id for s in target.sources} and pages.feature_exists(
            target.model, layer, jump
        ):
            return redirect("feature-page", model_id=model_id, layer=layer, index=jump)
        jump_error = f"There is no feature {jump} in {layer}."
    context = {
        "target": target,
        "page": pages.feature_page(target, request.GET.get("page")),
        "jump": jump,
        "jump_error": jump_error,
    }
    return render(request, "features/browse.html", context, status=404 if jump_error else 200)


def feature_page(request: HttpRequest, model_id: str, layer: str, index: str) -> HttpResponse:
    """The dashboard; `?embed=true` is the chromeless view others may frame (upstream's
    flags, features/pages/embed.py)."""
    user = _viewer(request)
    feature = get_feature(model_id, layer, index, user)
    if feature is None:
        raise Http404("No such feature.")
    default_range = feature["sourceSet"].get("defaultRange", 1)
    context_range = dashboard.parse_range(request.GET.get("range"), default_range)
    embed = embed_options(request.GET)
    previous_index, next_index = dashboard.neighbours(feature)
    dash = dashboard.build_dashboard(feature, context_range)
    viewer = dashboard.viewer_state(feature, user)
    context = {
        "dash": dash,
        "explanations": dashboard.annotated_explanations(dash.explanations, viewer),
        "default_range": default_range,
        "my_lists": pages.lists_of(user) if user else [],
        "embed": embed,
        "viewer": viewer,
        "previous_index": previous_index,
        "next_index": next_index,
        "autointerp": dashboard.autointerp_choices() if user else None,
    }
    response = render(request, "features/feature.html", context)
    return allow_framing(response) if embed.on else response


def inference_search(request: HttpRequest, model_id: str) -> HttpResponse:
    """Search via inference: the browser posts the text to `/api/search-all/`."""
    model = pages.viewable_model(model_id, _viewer(request))
    context = pages.model_context(model, _viewer(request))
    threshold = settings.INFERENCE_SEARCH_DENSITY_THRESHOLD
    context["density_threshold"] = threshold
    context["density_percent"] = f"{threshold * 100:g}"
    return render(request, "features/inference_search.html", context)


def list_page(request: HttpRequest, list_id: str) -> HttpResponse:
    found = pages.get_list(list_id)
    user = _viewer(request)
    context = {
        "list": found,
        "entries": pages.list_entries(found, user),
        "is_owner": user is not None and (user.id == found.user_id or user.admin),
    }
    return render(request, "features/list.html", context)


def user_vectors(request: HttpRequest, username: str) -> HttpResponse:
    owner = get_object_or_404(User, username=username.lower())
    context = {"owner": owner, "vectors": pages.user_vectors(owner, _viewer(request))}
    return render(request, "features/user_vectors.html", context)


def search(request: HttpRequest) -> HttpResponse:
    """Explanation search: `?q=` with an optional `model`, 20 results a page (`offset`)."""
    user = _viewer(request)
    query = request.GET.get("q", "").strip()
    model_id = request.GET.get("model") or None
    offset = _offset_param(request)
    too_short = bool(query) and len(query) < MIN_QUERY_LENGTH
    found = None
    if query and not too_short:
        found = search_explanations(query, model_id=model_id, offset=offset, user=user)
    context = {
        "query": query,
        "model_id": model_id,
        "models": pages.listed_models(user),
        "found": found,
        "offset": offset,
        "too_short": too_short,
    }
    return render(request, "features/search.html", context)
