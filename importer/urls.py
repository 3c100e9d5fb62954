"""Importer routes, included under `api/admin/`: Neuronpedia's admin import URLs and the admin
panel's JSON.

The panel page itself is the Django admin's index of this app, `/admin/importer/`
(`templates/admin/importer/app_index.html`).
"""

from __future__ import annotations

from django.urls import path

from importer import views

urlpatterns = [
    path("import", views.ImportSourceView.as_view(), name="importer-import-sse"),
    path("import-config", views.ImportConfigView.as_view(), name="importer-import-config"),
    path("importer/tree", views.TreeView.as_view(), name="importer-tree"),
    path("importer/status", views.StatusView.as_view(), name="importer-status"),
    path("importer/jobs", views.StartView.as_view(), name="importer-start"),
    path("importer/jobs/set", views.StartSetView.as_view(), name="importer-start-set"),
    path("importer/jobs/<int:job_id>", views.JobView.as_view(), name="importer-job"),
    path(
        "importer/jobs/<int:job_id>/cancel",
        views.CancelView.as_view(),
        name="importer-cancel",
    ),
    path("importer/config", views.ConfigSyncView.as_view(), name="importer-config"),
]
