"""The features app's API routes (Neuronpedia paths, exact trailing slashes)."""

from __future__ import annotations

from django.urls import path

from features import api_views

urlpatterns = [
    path("api/model/list", api_views.model_list, name="api-model-list"),
]
