"""Site-wide pages (sign-up, key rotation, the API reference) and the health endpoint."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from neuronpedia_site.accounts import NEW_KEY_SESSION, create_user
from neuronpedia_site.health import health
from neuronpedia_site.models import User, set_api_key


@extend_schema(tags=["Health"], responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT})
@api_view(["GET"])
def api_health(request: Request) -> Response:
    """Database, Redis and live workers (with the queues they consume)."""
    body = health()
    return Response(body, status=200 if body["status"] == "ok" else 503)


def api_docs(request: HttpRequest) -> HttpResponse:
    """The API reference, rendered in the browser from /api/schema (no CDN: works offline)."""
    return render(request, "api_docs.html")


def signup(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        name = request.POST.get("username", "")
        password = request.POST.get("password", "")
        email = request.POST.get("email", "")
        try:
            # AUTH_PASSWORD_VALIDATORS: long enough, not common, not all digits, not the name.
            validate_password(password, User(username=name.strip().lower(), email=email))
            user, key = create_user(name, password=password, email=email)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        except Exception:
            error = "That username is taken."
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[NEW_KEY_SESSION] = key
            return redirect("account")
    return render(
        request, "registration/signup.html", {"error": error}, status=400 if error else 200
    )


@login_required
@require_POST
def rotate_api_key(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)  # login_required
    request.session[NEW_KEY_SESSION] = set_api_key(request.user)
    messages.info(request, "Your API key was rotated. The old key no longer works.")
    return redirect("account")
