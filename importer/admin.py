"""Import jobs in the Django admin. The app's index, /admin/importer/, is the import panel
(`templates/admin/importer/app_index.html`): the bucket tree, actions and live progress."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from importer.models import ImportFile, ImportJob


class ReadOnlyAdmin(admin.ModelAdmin):
    """Jobs change only through the importer (panel, API, commands)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ImportFileInline(admin.TabularInline):
    model = ImportFile
    fields = ("order", "path", "table", "size", "state", "rows", "inserted", "seconds", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "model_id",
        "source_id",
        "state",
        "files_done",
        "files_total",
        "rows_done",
        "created_at",
        "finished_at",
    )
    list_filter = ("state", "kind")
    search_fields = ("model_id", "source_id", "location")
    inlines = [ImportFileInline]


@admin.register(ImportFile)
class ImportFileAdmin(ReadOnlyAdmin):
    list_display = ("path", "job", "table", "state", "rows", "inserted", "finished_at")
    list_filter = ("state", "table")
    search_fields = ("path",)
