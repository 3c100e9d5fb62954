from __future__ import annotations

from typing import Any

from django.contrib import admin, messages

from features import models as m
from features import umap_jobs
from neuronpedia_site.admin import ForeignKeysByIdAdmin


@admin.register(m.Model)
class ModelAdmin(ForeignKeysByIdAdmin):
    list_display = ("id", "display_name", "layers", "dimension", "visibility", "inference_enabled")
    list_filter = ("visibility", "inference_enabled", "instruct")
    search_fields = ("id", "display_name", "owner")


@admin.register(m.SourceRelease)
class SourceReleaseAdmin(ForeignKeysByIdAdmin):
    list_display = ("name", "creator_name", "visibility", "featured")
    list_filter = ("visibility", "featured")
    search_fields = ("name", "description", "creator_name")


@admin.register(m.SourceSet)
class SourceSetAdmin(ForeignKeysByIdAdmin):
    list_display = (
        "name",
        "model",
        "type",
        "visibility",
        "has_dashboards",
        "allow_inference_search",
    )
    list_filter = ("visibility", "has_dashboards", "allow_inference_search", "model")
    search_fields = ("name", "description", "creator_name")


@admin.register(m.Source)
class SourceAdmin(ForeignKeysByIdAdmin):
    list_display = (
        "source_id",
        "model",
        "set_name",
        "visibility",
        "inference_enabled",
        "has_dashboards",
    )
    list_filter = ("visibility", "inference_enabled", "model", "set_name")
    search_fields = ("source_id", "set_name", "saelens_release", "saelens_sae_id")


@admin.register(m.Feature)
class FeatureAdmin(ForeignKeysByIdAdmin):
    list_display = ("model", "layer", "index", "max_act_approx", "frac_nonzero", "has_vector")
    list_filter = ("has_vector", "model")
    search_fields = ("=layer", "=index", "vector_label")
    show_full_result_count = False  # tables of millions of rows: skip the COUNT(*)


@admin.register(m.Activation)
class ActivationAdmin(ForeignKeysByIdAdmin):
    list_display = ("id", "model", "layer", "index", "max_value", "creator")
    list_filter = ("model",)
    search_fields = ("=id", "=layer", "=index")
    show_full_result_count = False


@admin.register(m.Explanation)
class ExplanationAdmin(ForeignKeysByIdAdmin):
    list_display = (
        "description",
        "model",
        "layer",
        "index",
        "type_name",
        "explanation_model_name",
        "score_v1",
    )
    list_filter = ("type_name", "explanation_model_name", "model")
    search_fields = ("description", "=layer", "=index")
    exclude = ("embedding",)
    show_full_result_count = False


@admin.register(m.ExplanationScore)
class ExplanationScoreAdmin(ForeignKeysByIdAdmin):
    list_display = (
        "explanation",
        "explanation_score_type_name",
        "explanation_score_model_name",
        "value",
    )
    list_filter = ("explanation_score_type_name", "explanation_score_model_name")


for config_model in (
    m.ExplanationType,
    m.ExplanationModelType,
    m.ExplanationScoreType,
    m.ExplanationScoreModel,
    m.EvalType,
):
    admin.site.register(
        config_model,
        ForeignKeysByIdAdmin,
        list_display=("name", "display_name", "featured"),
        list_filter=("featured",),
        search_fields=("name", "display_name", "description"),
    )


@admin.register(m.List)
class ListAdmin(ForeignKeysByIdAdmin):
    list_display = ("name", "user", "created_at")
    search_fields = ("name", "description", "user__username")


@admin.register(m.ListsOnNeurons)
class ListsOnNeuronsAdmin(ForeignKeysByIdAdmin):
    list_display = ("list", "model", "layer", "index", "added_at")
    search_fields = ("list__name", "=layer", "=index")


@admin.register(m.Bookmark)
class BookmarkAdmin(ForeignKeysByIdAdmin):
    list_display = ("user", "model", "layer", "index", "created_at")
    search_fields = ("user__username", "=layer", "=index")


@admin.register(m.Comment)
class CommentAdmin(ForeignKeysByIdAdmin):
    list_display = ("user", "model", "layer", "index", "created_at")
    search_fields = ("text", "user__username")


@admin.register(m.Vote)
class VoteAdmin(ForeignKeysByIdAdmin):
    list_display = ("voter", "explanation", "points", "created_at")


@admin.register(m.SavedSearch)
class SavedSearchAdmin(ForeignKeysByIdAdmin):
    list_display = ("query", "model", "source_set", "num_results", "created_at")
    list_filter = ("model",)
    search_fields = ("query",)


for extra in (
    m.ListComment,
    m.ListsOnActivations,
    m.SavedSearchActivation,
    m.InferenceHostSource,
    m.InferenceHostSourceOnSource,
):
    admin.site.register(extra, ForeignKeysByIdAdmin)


@admin.register(m.AutointerpJob)
class AutointerpJobAdmin(ForeignKeysByIdAdmin):
    """Batch autointerp jobs (docs/autointerp.md): progress and token counters; cancel or
    resume from the list."""

    list_display = (
        "id",
        "model_id",
        "source_id",
        "list_id",
        "explanation_type",
        "explanation_model",
        "state",
        "features_total",
        "features_done",
        "features_skipped",
        "features_failed",
        "requests",
        "prompt_tokens",
        "completion_tokens",
        "updated_at",
    )
    list_filter = ("state", "explanation_type")
    readonly_fields = (
        "state",
        "error",
        "features_total",
        "features_done",
        "features_skipped",
        "features_failed",
        "requests",
        "prompt_tokens",
        "completion_tokens",
        "seconds",
    )
    actions = ("cancel", "resume")

    @admin.action(description="Cancel the selected jobs")
    def cancel(self, request: Any, queryset: Any) -> None:
        from features import autointerp

        for job in queryset:
            autointerp.cancel_batch(job)

    @admin.action(description="Resume (or start) the selected jobs")
    def resume(self, request: Any, queryset: Any) -> None:
        from features import autointerp

        for job in queryset:
            autointerp.start_batch(job)


@admin.register(m.EmbeddingJob)
class EmbeddingJobAdmin(ForeignKeysByIdAdmin):
    """The background job that embeds explanations for search (docs/search.md): read only."""

    list_display = ("id", "state", "done", "total", "seconds", "created_at", "finished_at")
    list_filter = ("state",)
    readonly_fields = [f.name for f in m.EmbeddingJob._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(m.UmapJob)
class UmapJobAdmin(ForeignKeysByIdAdmin):
    """UMAP layout jobs (docs/ui.md, "UMAP"): read only but for cancel and resume;
    `compute_umap` starts them."""

    list_display = ("id", "model_id", "source_id", "basis", "state", "progress", "created_at")
    list_filter = ("state", "basis")
    readonly_fields = [f.name for f in m.UmapJob._meta.fields]
    actions = ("cancel", "resume")

    @admin.action(description="Cancel the selected UMAP jobs")
    def cancel(self, request: Any, queryset: Any) -> None:
        self._each(request, queryset, umap_jobs.cancel)

    @admin.action(description="Resume the selected cancelled or failed UMAP jobs")
    def resume(self, request: Any, queryset: Any) -> None:
        self._each(request, queryset, umap_jobs.resume)

    def _each(self, request: Any, queryset: Any, act: Any) -> None:
        for job in queryset:
            try:
                act(job)
            except umap_jobs.UmapJobError as error:
                self.message_user(request, str(error), level=messages.WARNING)

    def has_add_permission(self, request: object) -> bool:
        return False
