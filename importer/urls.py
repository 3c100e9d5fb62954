"""Importer routes: Neuronpedia's admin import URLs and the admin panel's JSON.

The panel page itself is the Django admin's index of this app, `/admin/importer/`
(`templates/admin/importer/app_index.html`).
"""

from __future__ import annotations

from django.urls import path

from importer import views

urlpatterns = [
    path("api/admin/import", views.import_source_sse, name="importer-import-sse"),
    path("api/admin/import-config", views.import_config, name="importer-import-config"),
    path("api/admin/importer/tree", views.TreeView.as_view(), name="importer-tree"),
    path("api/admin/importer/status", views.StatusView.as_view(), name="importer-status"),
    path("api/admin/importer/jobs", views.StartView.as_view(), name="importer-start"),
    path("api/admin/importer/jobs/set", views.StartSetView.as_view(), name="importer-start-set"),
    path("api/admin/importer/jobs/<int:job_id>", views.JobView.as_view(), name="importer-job"),
    path(
        "api/admin/importer/jobs/<int:job_id>/cancel",
        views.CancelView.as_view(),
        name="importer-cancel",
    ),
    path("api/admin/importer/config", views.ConfigSyncView.as_view(), name="importer-config"),
]
