"""Two tiny views that exercise the auth levels on their own (used with override_settings)."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from neuronpedia_site.auth import AdminRequired, ApiKeyRequired


@api_view(["POST"])
@permission_classes([ApiKeyRequired])
def authed(request: Request) -> Response:
    return Response({"user": request.user.username, **dict(request.data)})


@api_view(["POST"])
@permission_classes([AdminRequired])
def admin_only(request: Request) -> Response:
    return Response({"user": request.user.username})


handler404 = "neuronpedia_site.errors.json_or_html_404"

urlpatterns = [
    path("api/test/authed", authed),
    path("api/test/admin", admin_only),
    path("", include("neuronpedia_site.urls")),
]
