"""URL map: the site's own pages, then each app's routes (docs/architecture.md says which app
owns which paths). Neuronpedia's paths mix apps under `/api/`, so the apps are included at the
root; the features app comes last, as its `/{modelId}/...` pages catch what is left."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from neuronpedia_site import views

handler404 = "neuronpedia_site.errors.json_or_html_404"
handler500 = "neuronpedia_site.errors.json_or_html_500"

urlpatterns = [
    path("api/health", views.api_health, name="api-health"),
    path("api/schema", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs", views.api_docs, name="api-docs"),
    path("login", auth_views.LoginView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("signup", views.signup, name="signup"),
    path("account/rotate-key", views.rotate_api_key, name="rotate-api-key"),
    path("admin/", admin.site.urls),
    path("api/admin/", include("importer.urls")),
    path("", include("steering.urls")),
    path("", include("graphs.urls")),
    path("", include("inference.urls")),
    path("", include("features.urls")),
]
