from __future__ import annotations

from django.contrib import admin

from steering.models import SteerOutput, SteerOutputToNeuron


class SteerOutputToNeuronInline(admin.TabularInline):
    model = SteerOutputToNeuron
    extra = 0


@admin.register(SteerOutput)
class SteerOutputAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "type",
        "model",
        "steer_method",
        "temperature",
        "num_tokens",
        "created_at",
    )
    list_filter = ("type", "steer_method", "model")
    search_fields = ("=id", "input_text", "output_text")
    raw_id_fields = ("creator", "connected_default_output")
    inlines = [SteerOutputToNeuronInline]
