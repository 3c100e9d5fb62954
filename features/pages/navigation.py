"""The site header's links (a template context processor): Steer and Graphs go to the model the
page is about, or the first listed model."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from features.models import Model


def navigation(request: HttpRequest) -> dict[str, str | None]:
    match = getattr(request, "resolver_match", None)
    model_id = match.kwargs.get("model_id") if match is not None else None
    # A request refused before the authentication middleware (a NUL in its path) has no user.
    user = getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    if model_id is None or not Model.objects.viewable_by(user).filter(id=model_id).exists():
        model_id = (
            Model.objects.listed_for(user).order_by("id").values_list("id", flat=True).first()
        )
    return {
        "nav_model_id": model_id,
        "nav_steer_url": reverse("steer-page", kwargs={"model_id": model_id}) if model_id else None,
        "nav_graph_url": reverse("graph-page", kwargs={"model_id": model_id}) if model_id else None,
    }
