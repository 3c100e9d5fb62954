"""Neuronpedia's data model, with its table and column names, so export rows load unchanged.

Python attributes are snake_case; `db_column` carries Neuronpedia's camelCase column (the
SAEDashboard-derived feature columns are snake_case there too). Features, activations and
explanations are keyed by the strings `(modelId, layer, index)`, where `layer` is the source
id ("6-res-jb"). Those composite keys are enforced by foreign keys added in SQL (see
migration 0002): Django 5.2 cannot declare multi-column foreign keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Self, TypeVar, overload

import pgvector.django
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast

from neuronpedia_format.users import BOT_USER_ID
from neuronpedia_site.ids import new_id
from neuronpedia_site.models import User

EXPLANATION_EMBEDDING_DIM = 256  # OpenAI text-embedding-3-large at 256 dims, as Neuronpedia
# The local sentence embedding of explanations (all-MiniLM-L6-v2, docs/search.md).
LOCAL_EMBEDDING_DIM = 384
# Full-text configuration of explanation search: `simple` keeps stop words, so "because" and
# "the" are searchable (explanations are short phrases, where they carry meaning).
FTS_CONFIG = "simple"


class Visibility(models.TextChoices):
    PUBLIC = "PUBLIC"
    UNLISTED = "UNLISTED"
    PRIVATE = "PRIVATE"


# Neuronpedia's visibility rule, for models, releases, source sets and sources: a row is seen by
# everyone when its visibility is in one of these, by its creator always, and by admins. Direct
# lookups (a URL, an id) see VIEWABLE rows; global listings only LISTED ones. The ORM
# (`VisibleQuerySet`) and the SQL of the prepared queries (`features.access.visible_sql`) both
# read them from here.
VIEWABLE = (Visibility.PUBLIC.value, Visibility.UNLISTED.value)
LISTED = (Visibility.PUBLIC.value,)


def _floats(db_column: str | None = None) -> ArrayField[Sequence[float], list[float]]:
    return ArrayField(models.FloatField(), default=list, blank=True, db_column=db_column)


def _ints(db_column: str | None = None) -> ArrayField[Sequence[int], list[int]]:
    return ArrayField(models.IntegerField(), default=list, blank=True, db_column=db_column)


def _strings(db_column: str | None = None) -> ArrayField[Sequence[str], list[str]]:
    return ArrayField(models.TextField(), default=list, blank=True, db_column=db_column)


# A nullable creator (`null=True`) reads as `User | None`; the others as `User`.
@overload
def _creator(
    related_name: str,
    db_column: str = ...,
    null: Literal[False] = ...,
    db_index: bool = ...,
) -> models.ForeignKey[User, User]: ...
@overload
def _creator(
    related_name: str, db_column: str = ..., *, null: Literal[True], db_index: bool = ...
) -> models.ForeignKey[User | None, User | None]: ...
def _creator(
    related_name: str, db_column: str = "creatorId", null: bool = False, db_index: bool = True
) -> models.ForeignKey[User | None, User | None] | models.ForeignKey[User, User]:
    return models.ForeignKey(
        User,
        on_delete=models.SET_NULL if null else models.CASCADE,
        null=null,
        blank=null,
        db_column=db_column,
        related_name=related_name,
        default=None if null else BOT_USER_ID,
        db_index=db_index,
    )


_VisibleModel = TypeVar("_VisibleModel", bound=models.Model)


class VisibleQuerySet(models.QuerySet[_VisibleModel]):
    """Neuronpedia's visibility rules for Model, SourceRelease, SourceSet and Source."""

    def viewable_by(self, user: User | None) -> Self:
        """Direct lookups: VIEWABLE rows, the user's own rows; admins see everything."""
        return self._seen_by(user, VIEWABLE)

    def listed_for(self, user: User | None) -> Self:
        """Global listings: LISTED rows, the user's own rows; admins see everything."""
        return self._seen_by(user, LISTED)

    def _seen_by(self, user: User | None, visibilities: tuple[str, ...]) -> Self:
        if user is not None and user.admin:
            return self
        q = Q(visibility__in=visibilities)
        if user is not None:
            q |= Q(creator_id=user.id)
        return self.filter(q)


class SourceRelease(models.Model):
    name = models.CharField(primary_key=True, max_length=255)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    is_new_ui = models.BooleanField(default=False, db_column="isNewUi")
    featured = models.BooleanField(default=False)
    description = models.TextField(default="", blank=True)
    description_short = models.TextField(null=True, blank=True, db_column="descriptionShort")
    urls = _strings()
    creator_email = models.TextField(null=True, blank=True, db_column="creatorEmail")
    creator_name = models.TextField(default="", blank=True, db_column="creatorName")
    creator_name_short = models.TextField(null=True, blank=True, db_column="creatorNameShort")
    creator = _creator("releases")
    default_source_set_name = models.TextField(
        null=True, blank=True, db_column="defaultSourceSetName"
    )
    default_source_id = models.TextField(null=True, blank=True, db_column="defaultSourceId")
    default_umap_source_ids = _strings("defaultUmapSourceIds")
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")

    objects = VisibleQuerySet.as_manager()

    class Meta:
        db_table = "SourceRelease"

    def __str__(self) -> str:
        return self.name


class Model(models.Model):
    id = models.CharField(primary_key=True, max_length=64)
    display_name_short = models.TextField(default="", blank=True, db_column="displayNameShort")
    display_name = models.TextField(default="", blank=True, db_column="displayName")
    creator = _creator("models")
    tlens_id = models.TextField(null=True, blank=True, db_column="tlensId")
    open_router_id = models.TextField(null=True, blank=True, db_column="openRouterId")
    dimension = models.IntegerField(null=True, blank=True)
    thinking = models.BooleanField(default=False)
    instruct = models.BooleanField(default=False)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    default_source_set_name = models.TextField(
        null=True, blank=True, db_column="defaultSourceSetName"
    )
    default_source_id = models.TextField(null=True, blank=True, db_column="defaultSourceId")
    default_graph_source_set_name = models.TextField(
        null=True, blank=True, db_column="defaultGraphSourceSetName"
    )
    inference_enabled = models.BooleanField(default=False, db_column="inferenceEnabled")
    layers = models.IntegerField(default=0)
    neurons_per_layer = models.IntegerField(default=0, db_column="neuronsPerLayer")
    owner = models.TextField(default="", blank=True)
    website = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")
    updated_at = models.DateTimeField(auto_now=True, db_column="updatedAt")

    objects = VisibleQuerySet.as_manager()

    class Meta:
        db_table = "Model"

    def __str__(self) -> str:
        return self.id


class SourceSet(models.Model):
    """An SAE set such as `res-jb`; unique per model by name."""

    model = models.ForeignKey(
        Model, on_delete=models.CASCADE, db_column="modelId", related_name="source_sets"
    )
    name = models.CharField(max_length=255)
    has_dashboards = models.BooleanField(default=True, db_column="hasDashboards")
    allow_inference_search = models.BooleanField(default=True, db_column="allowInferenceSearch")
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    description = models.TextField(default="", blank=True)
    type = models.TextField(default="", blank=True)
    creator_name = models.TextField(default="", blank=True, db_column="creatorName")
    urls = _strings()
    creator_email = models.TextField(null=True, blank=True, db_column="creatorEmail")
    creator = _creator("source_sets")
    release = models.ForeignKey(
        SourceRelease,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="releaseName",
        related_name="source_sets",
    )
    default_of_model_id = models.TextField(null=True, blank=True, db_column="defaultOfModelId")
    has_graphs = models.BooleanField(default=False, db_column="hasGraphs")
    graph_enabled = models.BooleanField(default=False, db_column="graphEnabled")
    similarity_matrix_enabled = models.BooleanField(
        default=False, db_column="similarityMatrixEnabled"
    )
    default_range = models.IntegerField(default=1, db_column="defaultRange")
    default_show_breaks = models.BooleanField(default=True, db_column="defaultShowBreaks")
    show_dfa = models.BooleanField(default=False, db_column="showDfa")
    show_correlated = models.BooleanField(default=False, db_column="showCorrelated")
    show_head_attribution = models.BooleanField(default=False, db_column="showHeadAttribution")
    show_umap = models.BooleanField(default=False, db_column="showUmap")
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")

    objects = VisibleQuerySet.as_manager()

    class Meta:
        db_table = "SourceSet"
        constraints = [
            models.UniqueConstraint(fields=["model", "name"], name="sourceset_model_name")
        ]

    def __str__(self) -> str:
        return f"{self.model_id}/{self.name}"


class Source(models.Model):
    """One SAE, e.g. `6-res-jb`. Neuronpedia's column `id` holds that source id."""

    key = models.BigAutoField(primary_key=True, db_column="_key")
    source_id = models.CharField(max_length=255, db_column="id")
    model = models.ForeignKey(
        Model, on_delete=models.CASCADE, db_column="modelId", related_name="sources"
    )
    set_name = models.CharField(max_length=255, db_column="setName")
    has_dashboards = models.BooleanField(default=True, db_column="hasDashboards")
    inference_enabled = models.BooleanField(default=False, db_column="inferenceEnabled")
    saelens_config = models.JSONField(null=True, blank=True, db_column="saelensConfig")
    saelens_release = models.TextField(null=True, blank=True, db_column="saelensRelease")
    saelens_sae_id = models.TextField(null=True, blank=True, db_column="saelensSaeId")
    hf_repo_id = models.TextField(null=True, blank=True, db_column="hfRepoId")
    hf_folder_id = models.TextField(null=True, blank=True, db_column="hfFolderId")
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    creator = _creator("sources")
    has_umap = models.BooleanField(default=False, db_column="hasUmap")
    has_umap_log_sparsity = models.BooleanField(default=False, db_column="hasUmapLogSparsity")
    has_umap_clusters = models.BooleanField(default=False, db_column="hasUmapClusters")
    num_prompts = models.IntegerField(null=True, blank=True)
    num_tokens_in_prompt = models.IntegerField(null=True, blank=True)
    dataset = models.TextField(null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    cos_sim_match_model_id = models.TextField(null=True, blank=True, db_column="cosSimMatchModelId")
    cos_sim_match_source_id = models.TextField(
        null=True, blank=True, db_column="cosSimMatchSourceId"
    )
    default_of_model_id = models.TextField(null=True, blank=True, db_column="defaultOfModelId")
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")

    objects = VisibleQuerySet.as_manager()

    class Meta:
        db_table = "Source"
        constraints = [
            models.UniqueConstraint(fields=["model", "source_id"], name="source_model_id")
        ]
        # Used by the browse pages: sources of a set.
        indexes = [models.Index(fields=["model", "set_name"], name="source_model_set")]

    def __str__(self) -> str:
        return f"{self.model_id}/{self.source_id}"

    @property
    def source_set(self) -> SourceSet | None:
        return SourceSet.objects.filter(model_id=self.model_id, name=self.set_name).first()


class InferenceHostSource(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    name = models.TextField()
    host_url = models.TextField(db_column="hostUrl")
    engine = models.CharField(max_length=32, default="TRANSFORMER_LENS")
    model = models.ForeignKey(Model, on_delete=models.CASCADE, db_column="modelId")
    runpod_serverless_url = models.TextField(null=True, blank=True, db_column="runpodServerlessUrl")
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")
    updated_at = models.DateTimeField(auto_now=True, db_column="updatedAt")

    class Meta:
        db_table = "InferenceHostSource"
        verbose_name = "inference host"


class InferenceHostSourceOnSource(models.Model):
    key = models.BigAutoField(primary_key=True, db_column="_key")
    source_id = models.TextField(db_column="sourceId")
    source_model_id = models.TextField(db_column="sourceModelId")
    inference_host = models.ForeignKey(
        InferenceHostSource, on_delete=models.CASCADE, db_column="inferenceHostId"
    )

    class Meta:
        db_table = "InferenceHostSourceOnSource"
        verbose_name = "inference host of a source"
        verbose_name_plural = "inference hosts of sources"
        constraints = [
            models.UniqueConstraint(
                fields=["source_id", "source_model_id", "inference_host"], name="ihsos_unique"
            )
        ]


class Feature(models.Model):
    """A feature of a source (Neuronpedia's `Neuron`); also holds user-uploaded steering vectors."""

    key = models.BigAutoField(primary_key=True, db_column="_key")
    model = models.ForeignKey(
        Model, on_delete=models.CASCADE, db_column="modelId", related_name="features"
    )
    layer = models.CharField(max_length=255, help_text="The source id, e.g. 6-res-jb.")
    index = models.CharField(max_length=32)
    source_set_name = models.TextField(null=True, blank=True, db_column="sourceSetName")
    creator = _creator("features", null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")
    max_act_approx = models.FloatField(null=True, default=0, db_column="maxActApprox")
    has_vector = models.BooleanField(default=False, db_column="hasVector")
    vector = _floats()
    vector_label = models.TextField(null=True, blank=True, db_column="vectorLabel")
    vector_default_steer_strength = models.FloatField(
        null=True, default=10, db_column="vectorDefaultSteerStrength"
    )
    hook_name = models.TextField(null=True, blank=True, db_column="hookName")
    topk_cos_sim_indices = _ints("topkCosSimIndices")
    topk_cos_sim_values = _floats("topkCosSimValues")
    neuron_alignment_indices = _ints()
    neuron_alignment_values = _floats()
    neuron_alignment_l1 = _floats()
    correlated_neurons_indices = _ints()
    correlated_neurons_pearson = _floats()
    correlated_neurons_l1 = _floats()
    correlated_features_indices = _ints()
    correlated_features_pearson = _floats()
    correlated_features_l1 = _floats()
    neg_str = _strings()
    neg_values = _floats()
    pos_str = _strings()
    pos_values = _floats()
    frac_nonzero = models.FloatField(default=0)
    freq_hist_data_bar_heights = _floats()
    freq_hist_data_bar_values = _floats()
    logits_hist_data_bar_heights = _floats()
    logits_hist_data_bar_values = _floats()
    decoder_weights_dist = _floats()
    umap_cluster = models.IntegerField(null=True, blank=True)
    umap_log_feature_sparsity = models.FloatField(null=True, blank=True)
    umap_x = models.FloatField(null=True, blank=True)
    umap_y = models.FloatField(null=True, blank=True)

    class Meta:
        db_table = "Neuron"
        constraints = [
            models.UniqueConstraint(
                fields=["model", "layer", "index"], name="neuron_model_layer_index"
            )
        ]
        indexes = [
            # Used by vector/list-owned and the user vectors page.
            models.Index(fields=["creator", "has_vector"], name="neuron_creator_vector"),
        ]

    def __str__(self) -> str:
        return f"{self.model_id}/{self.layer}/{self.index}"

    @property
    def sort_index(self) -> int:
        return int(self.index)


class FeatureKeyMixin(models.Model):
    """The string key `(modelId, layer, index)` pointing at a Feature (foreign key added in SQL)."""

    model = models.ForeignKey(
        Model, on_delete=models.CASCADE, db_column="modelId", related_name="+"
    )
    layer = models.CharField(max_length=255)
    index = models.CharField(max_length=32)

    class Meta:
        abstract = True

    @property
    def feature(self) -> Feature | None:
        return Feature.objects.filter(
            model_id=self.model_id, layer=self.layer, index=self.index
        ).first()


class Activation(FeatureKeyMixin):
    """One top-activating text example of a feature.

    The largest table by far (millions of rows per source), so it carries only the indexes a
    query uses: every index costs the importer's COPY time. Django's own FK indexes are off:
    `modelId` alone is covered by `activation_feature`, whose leading column it is, and the
    `varchar_pattern_ops` copies serve LIKE queries, which nothing runs here (the one on `id`
    is dropped in migration 0005).
    """

    model = models.ForeignKey(
        Model, on_delete=models.CASCADE, db_column="modelId", related_name="+", db_index=False
    )
    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    tokens = _strings()
    values = _floats()
    max_value = models.FloatField(default=0, db_column="maxValue")
    max_value_token_index = models.IntegerField(default=0, db_column="maxValueTokenIndex")
    min_value = models.FloatField(default=0, db_column="minValue")
    data_index = models.TextField(null=True, blank=True, db_column="dataIndex")
    data_source = models.TextField(null=True, blank=True, db_column="dataSource")
    creator = _creator("activations", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")
    dfa_values = _floats("dfaValues")
    dfa_target_index = models.IntegerField(null=True, blank=True, db_column="dfaTargetIndex")
    dfa_max_value = models.FloatField(null=True, blank=True, db_column="dfaMaxValue")
    z_q_indices = _ints("zQIndices")
    z_k_indices = _ints("zKIndices")
    z_values = _floats("zValues")
    loss_values = _floats("lossValues")
    logit_contributions = models.TextField(null=True, blank=True, db_column="logitContributions")
    bin_min = models.FloatField(null=True, blank=True, db_column="binMin")
    bin_max = models.FloatField(null=True, blank=True, db_column="binMax")
    bin_contains = models.FloatField(null=True, blank=True, db_column="binContains")
    qualifying_token_index = models.IntegerField(
        null=True, blank=True, db_column="qualifyingTokenIndex"
    )

    class Meta:
        db_table = "Activation"
        # Used by the feature page and API: a feature's activations by maxValue.
        indexes = [
            models.Index(
                fields=["model", "layer", "index", "-max_value"], name="activation_feature"
            ),
            # Deleting a user cascades to their activations; a plain btree, no LIKE copy.
            models.Index(fields=["creator"], name="activation_creator"),
        ]


class NamedConfig(models.Model):
    """The columns every config table shares (`v1/config/*.jsonl`, upserted by name)."""

    name = models.CharField(primary_key=True, max_length=255)
    display_name = models.TextField(default="", blank=True, db_column="displayName")
    description = models.TextField(default="", blank=True)
    featured = models.BooleanField(default=False)
    url = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")
    updated_at = models.DateTimeField(auto_now=True, db_column="updatedAt")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class ExplanationType(NamedConfig):
    is_attention = models.BooleanField(default=False, db_column="isAttention")
    settings = models.TextField(null=True, blank=True)
    creator_name = models.TextField(default="", blank=True, db_column="creatorName")
    creator = _creator("explanation_types")
    explainer_model_settings_id = models.TextField(
        null=True, blank=True, db_column="explainerModelSettingsId"
    )

    class Meta:
        db_table = "ExplanationType"


class ExplanationModelType(NamedConfig):
    open_router_model_id = models.TextField(null=True, blank=True, db_column="openRouterModelId")
    creator_name = models.TextField(default="", blank=True, db_column="creatorName")

    class Meta:
        db_table = "ExplanationModelType"


class ExplanationScoreType(NamedConfig):
    is_attention = models.BooleanField(default=False, db_column="isAttention")
    score_description = models.TextField(null=True, blank=True, db_column="scoreDescription")
    scorer_model = models.TextField(null=True, blank=True, db_column="scorerModel")
    settings = models.TextField(null=True, blank=True)
    creator_name = models.TextField(default="", blank=True, db_column="creatorName")
    creator = _creator("explanation_score_types")

    class Meta:
        db_table = "ExplanationScoreType"


class ExplanationScoreModel(NamedConfig):
    open_router_model_id = models.TextField(null=True, blank=True, db_column="openRouterModelId")
    creator_name = models.TextField(default="", blank=True, db_column="creatorName")

    class Meta:
        db_table = "ExplanationScoreModel"


class EvalType(NamedConfig):
    longer_description = models.TextField(default="", blank=True, db_column="longerDescription")
    output_schema = models.JSONField(default=dict, blank=True, db_column="outputSchema")

    class Meta:
        db_table = "EvalType"


class Explanation(FeatureKeyMixin):
    from pgvector.django import VectorField

    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    embedding = VectorField(dimensions=EXPLANATION_EMBEDDING_DIM, null=True, blank=True)
    description = models.TextField()
    author = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        db_column="authorId",
        related_name="explanations",
        default=BOT_USER_ID,
    )
    triggered_by_user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="triggeredByUserId",
        related_name="+",
    )
    notes = models.TextField(null=True, blank=True)
    score_v1 = models.FloatField(default=0, db_column="scoreV1")
    score_v2 = models.FloatField(null=True, blank=True, db_column="scoreV2")
    umap_x = models.FloatField(null=True, blank=True)
    umap_y = models.FloatField(null=True, blank=True)
    umap_cluster = models.IntegerField(null=True, blank=True)
    umap_log_feature_sparsity = models.FloatField(null=True, blank=True)
    type_name = models.ForeignKey(
        ExplanationType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="typeName",
        related_name="explanations",
    )
    explanation_model_name = models.ForeignKey(
        ExplanationModelType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="explanationModelName",
        related_name="explanations",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")
    updated_at = models.DateTimeField(auto_now=True, db_column="updatedAt")

    del VectorField

    class Meta:
        db_table = "Explanation"
        indexes = [
            # Used by the feature page and API: a feature's explanations.
            models.Index(fields=["model", "layer", "index"], name="explanation_feature"),
            # Used by features.search (the same expression as its query).
            GinIndex(
                SearchVector("description", config=FTS_CONFIG),
                name="explanation_description_simple",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:80]


class ExplanationEmbedding(models.Model):
    """An explanation's local sentence embedding (`LOCAL_EMBEDDING_DIM`, unit length), written
    by the background embedding job. `modelId`/`layer` are copied from the explanation so a
    search scoped to some sources filters here without a join; the HNSW index serves the
    nearest-neighbour search by cosine distance."""

    # The foreign key is added in SQL with ON DELETE CASCADE (migration 0006): explanations
    # are also deleted by PostgreSQL's own cascades (from their feature), not only by Django.
    explanation = models.OneToOneField(
        Explanation,
        on_delete=models.CASCADE,
        primary_key=True,
        db_column="explanationId",
        related_name="local_embedding",
        db_constraint=False,
    )
    model_id = models.CharField(max_length=255, db_column="modelId")
    layer = models.CharField(max_length=255)
    embedding = pgvector.django.VectorField(dimensions=LOCAL_EMBEDDING_DIM)

    class Meta:
        db_table = "ExplanationEmbedding"
        indexes = [
            # Over the embeddings cast to half precision: half the size of a full-precision
            # index, so it stays in shared buffers; m 24 (not pgvector's default 16) reaches
            # recall@20 0.95 at 1M rows with a shorter walk (docs/search.md). Search orders
            # by the same expression (`features.search.MEANING_SQL`) and re-sorts the rows
            # it returns by their full-precision distance.
            pgvector.django.HnswIndex(
                OpClass(
                    Cast(
                        "embedding", pgvector.django.HalfVectorField(dimensions=LOCAL_EMBEDDING_DIM)
                    ),
                    name="halfvec_cosine_ops",
                ),
                name="explanation_embedding_hnsw",
                m=24,
                ef_construction=64,
            ),
            # Used when a search covers few sources: the planner reads these rows and sorts
            # them exactly instead of filtering the HNSW walk.
            models.Index(fields=["model_id", "layer"], name="explanation_embedding_source"),
        ]

    def __str__(self) -> str:
        return f"embedding of {self.explanation_id}"


class EmbeddingJob(models.Model):
    """One run of the background job that embeds every explanation still without a local
    embedding (workers/embedding_job.py). `total` is what was pending when it started, `done`
    what it has embedded so far."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.BigIntegerField(default=0)
    done = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0)  # time spent embedding and writing, for rows/s
    error = models.TextField(blank=True, default="")
    task_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["state"], name="embeddingjob_state")]

    def __str__(self) -> str:
        return f"embedding job #{self.pk} ({self.state}, {self.done}/{self.total})"

    @property
    def progress(self) -> float:
        return self.done / self.total if self.total else 1.0


class UmapJob(models.Model):
    """One run of the job that lays a source's features out in 2-d with umap-learn
    (`workers/umap_job.py`) and stores each feature's `umap_x`/`umap_y` on its Neuron row.

    `basis` says what is laid out: the SAE's decoder directions (read by the worker that serves
    the model) or the features' explanation embeddings. A cancelled job stops at its next step
    without writing; a cancelled or failed one can be resumed (queued again), and a job whose
    worker died is redelivered (acknowledged late) and starts its steps again.
    """

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    class Basis(models.TextChoices):
        DECODER = "decoder"
        EXPLANATIONS = "explanations"

    model_id = models.TextField()
    source_id = models.TextField()
    basis = models.CharField(max_length=16, choices=Basis.choices, default=Basis.DECODER)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    step = models.CharField(max_length=64, blank=True, default="")
    progress = models.FloatField(default=0)  # 0..1, by step (read vectors, lay out, write)
    points = models.IntegerField(default=0)  # features laid out
    seconds = models.FloatField(default=0)
    error = models.TextField(blank=True, default="")
    task_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        # Used by features.umap_jobs.pending (one open job per source).
        indexes = [models.Index(fields=["model_id", "source_id", "state"], name="umapjob_source")]

    def __str__(self) -> str:
        return f"umap job #{self.pk} {self.model_id}/{self.source_id} ({self.state})"


class ExplanationScore(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    initiated_by_user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        db_column="initiatedByUserId",
        related_name="+",
        default=BOT_USER_ID,
    )
    value = models.FloatField()
    explanation = models.ForeignKey(
        Explanation, on_delete=models.CASCADE, db_column="explanationId", related_name="scores"
    )
    explanation_score_type_name = models.ForeignKey(
        ExplanationScoreType, on_delete=models.CASCADE, db_column="explanationScoreTypeName"
    )
    explanation_score_model_name = models.ForeignKey(
        ExplanationScoreModel, on_delete=models.CASCADE, db_column="explanationScoreModelName"
    )
    json_details = models.TextField(default="", blank=True, db_column="jsonDetails")
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")

    class Meta:
        db_table = "ExplanationScore"


class Vote(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    voter = models.ForeignKey(
        User, on_delete=models.CASCADE, db_column="voterId", related_name="votes"
    )
    explanation = models.ForeignKey(
        Explanation, on_delete=models.CASCADE, db_column="explanationId", related_name="votes"
    )
    points = models.IntegerField(default=1)
    reason = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")

    class Meta:
        db_table = "Vote"
        constraints = [
            models.UniqueConstraint(fields=["voter", "explanation"], name="vote_voter_explanation")
        ]


class List(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    name = models.TextField()
    description = models.TextField(default="", blank=True)
    default_test_text = models.TextField(null=True, blank=True, db_column="defaultTestText")
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, db_column="userId", related_name="lists"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")
    updated_at = models.DateTimeField(auto_now=True, db_column="updatedAt")

    class Meta:
        db_table = "List"

    def __str__(self) -> str:
        return self.name


class ListsOnNeurons(FeatureKeyMixin):
    key = models.BigAutoField(primary_key=True, db_column="_key")
    list = models.ForeignKey(
        List, on_delete=models.CASCADE, db_column="listId", related_name="neurons"
    )
    description = models.TextField(null=True, blank=True)
    added_at = models.DateTimeField(auto_now_add=True, db_column="addedAt")
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, db_column="userId", related_name="+", null=True, blank=True
    )

    class Meta:
        db_table = "ListsOnNeurons"
        verbose_name = "feature in a list"
        verbose_name_plural = "features in lists"
        constraints = [
            models.UniqueConstraint(
                fields=["model", "layer", "index", "list"], name="listsonneurons_key"
            )
        ]


class ListsOnActivations(models.Model):
    key = models.BigAutoField(primary_key=True, db_column="_key")
    activation = models.ForeignKey(Activation, on_delete=models.CASCADE, db_column="activationId")
    list = models.ForeignKey(
        List, on_delete=models.CASCADE, db_column="listId", related_name="activations"
    )

    class Meta:
        db_table = "ListsOnActivations"
        verbose_name = "activation in a list"
        verbose_name_plural = "activations in lists"
        constraints = [
            models.UniqueConstraint(fields=["activation", "list"], name="listsonactivations_key")
        ]


class ListComment(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    list = models.ForeignKey(
        List, on_delete=models.CASCADE, db_column="listId", related_name="comments"
    )
    text = models.TextField()
    user = models.ForeignKey(User, on_delete=models.CASCADE, db_column="userId", related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")

    class Meta:
        db_table = "ListComment"


class Bookmark(FeatureKeyMixin):
    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, db_column="userId", related_name="bookmarks"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")

    class Meta:
        db_table = "Bookmark"
        constraints = [
            models.UniqueConstraint(
                fields=["model", "layer", "index", "user"], name="bookmark_feature_user"
            )
        ]


class Comment(FeatureKeyMixin):
    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    text = models.TextField()
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, db_column="userId", related_name="comments"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")

    class Meta:
        db_table = "Comment"
        # Used by the feature page and API: a feature's comments.
        indexes = [models.Index(fields=["model", "layer", "index"], name="comment_feature")]


class SavedSearch(models.Model):
    """A cache of /api/search-all results (one row per distinct request)."""

    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    query = models.TextField()
    tokens = _strings()
    model = models.ForeignKey(
        Model, on_delete=models.CASCADE, db_column="modelId", related_name="+"
    )
    selected_layers = _strings("selectedLayers")
    sort_by_indexes = _ints("sortByIndexes")
    ignore_bos = models.BooleanField(default=True, db_column="ignoreBos")
    source_set = models.TextField(null=True, blank=True, db_column="sourceSet")
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, db_column="userId", related_name="+"
    )
    counts = models.TextField(default="", blank=True)
    num_results = models.IntegerField(default=50, db_column="numResults")
    density_threshold = models.FloatField(default=-1, db_column="densityThreshold")
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")

    class Meta:
        db_table = "SavedSearch"
        verbose_name_plural = "saved searches"
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "model",
                    "query",
                    "selected_layers",
                    "source_set",
                    "sort_by_indexes",
                    "ignore_bos",
                    "num_results",
                    "density_threshold",
                ],
                name="savedsearch_request",
            )
        ]


class SavedSearchActivation(models.Model):
    key = models.BigAutoField(primary_key=True, db_column="_key")
    saved_search = models.ForeignKey(
        SavedSearch, on_delete=models.CASCADE, db_column="savedSearchId", related_name="results"
    )
    activation = models.ForeignKey(Activation, on_delete=models.CASCADE, db_column="activationId")
    order = models.IntegerField()

    class Meta:
        db_table = "SavedSearchActivation"
        verbose_name = "activation of a saved search"
        verbose_name_plural = "activations of saved searches"
        ordering = ["order"]


class AutointerpJob(models.Model):
    """Explaining every feature of a source (or a list) as one job (docs/autointerp.md): run by
    a worker, resumable (features already explained with the same type and model are skipped),
    cancellable, with progress and token counters for the admin."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    model_id = models.CharField(max_length=64)
    source_id = models.CharField(max_length=255, blank=True, default="")
    list_id = models.CharField(max_length=40, blank=True, default="")
    explanation_type = models.CharField(max_length=255)
    explanation_model = models.CharField(max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    concurrency = models.PositiveIntegerField(default=4)
    requests_per_minute = models.PositiveIntegerField(default=60)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True, default="")
    features_total = models.IntegerField(default=0)
    features_done = models.IntegerField(default=0)
    features_skipped = models.IntegerField(default=0)
    features_failed = models.IntegerField(default=0)
    requests = models.IntegerField(default=0)
    prompt_tokens = models.BigIntegerField(default=0)
    completion_tokens = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        target = self.source_id or f"list {self.list_id}"
        return f"{self.explanation_type}/{self.explanation_model} on {self.model_id} {target}"
