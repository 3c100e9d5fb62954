from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from neuronpedia_site.models import User, UserSecret


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "is_staff", "bot", "created_at")
    list_filter = ("is_staff", "is_superuser", "bot", "is_active")
    search_fields = ("username", "email", "id")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Neuronpedia", {"fields": ("bio", "bot", "can_trigger_explanations")}),
    )


@admin.register(UserSecret)
class UserSecretAdmin(admin.ModelAdmin):
    list_display = ("user", "type", "display_prefix", "updated_at")
    list_filter = ("type",)
    search_fields = ("user__username",)
    # The hash is useless to an operator and the key is never stored: hide both.
    exclude = ("value",)
    readonly_fields = ("display_prefix",)
