"""Attribution graphs: Neuronpedia's GraphMetadata, its saved subgraphs and upload requests
(upstream's prisma tables and columns). The graph JSON itself lives in the graph
storage (`graphs.storage`); `GraphMetadata.url` says where this site serves it."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from features.models import Model
from neuronpedia_site.ids import new_id
from neuronpedia_site.models import User


class GraphMetadata(models.Model):
    """One stored graph, looked up by id or by (modelId, slug)."""

    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    model = models.ForeignKey(
        Model, on_delete=models.CASCADE, db_column="modelId", related_name="graphs"
    )
    # Upstream relates (modelId, sourceSetName) to SourceSet; a graph uploaded for a set this
    # site lacks keeps the name only, so this is a plain column.
    source_set_name = models.TextField(null=True, blank=True, db_column="sourceSetName")
    slug = models.CharField(max_length=255)
    prompt_tokens = ArrayField(
        models.TextField(), default=list, blank=True, db_column="promptTokens"
    )
    prompt = models.TextField(default="", blank=True)
    title_prefix = models.TextField(default="", blank=True, db_column="titlePrefix")
    is_featured = models.BooleanField(default=False, db_column="isFeatured")
    url = models.TextField(default="", blank=True)
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_column="userId",
        related_name="graphs",
    )
    # Not upstream's: where the JSON lies in the graph storage (upstream parses it from `url`).
    storage_key = models.TextField(default="", blank=True, db_column="storageKey")
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")
    updated_at = models.DateTimeField(auto_now=True, db_column="updatedAt")

    class Meta:
        db_table = "GraphMetadata"
        constraints = [
            models.UniqueConstraint(fields=["model", "slug"], name="graphmetadata_model_slug")
        ]
        # Used by graphs.catalog.owned_graphs (list-owned, newest first).
        indexes = [models.Index(fields=["user", "-updated_at"], name="graphmetadata_user_upd")]

    def __str__(self) -> str:
        return f"{self.model_id}/{self.slug}"


class GraphMetadataSubgraph(models.Model):
    """A saved view of a graph: pinned nodes, supernodes, labels and thresholds."""

    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    display_name = models.TextField(null=True, blank=True, db_column="displayName")
    graph_metadata = models.ForeignKey(
        GraphMetadata,
        on_delete=models.CASCADE,
        db_column="graphMetadataId",
        related_name="subgraphs",
    )
    pinned_ids = ArrayField(models.TextField(), default=list, blank=True, db_column="pinnedIds")
    supernodes = models.JSONField(default=list, blank=True)
    clerps = models.JSONField(default=list, blank=True)
    pruning_threshold = models.FloatField(null=True, blank=True, db_column="pruningThreshold")
    density_threshold = models.FloatField(null=True, blank=True, db_column="densityThreshold")
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, db_column="userId", related_name="graph_subgraphs"
    )
    is_featured_solution = models.BooleanField(default=False, db_column="isFeaturedSolution")
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")
    updated_at = models.DateTimeField(auto_now=True, db_column="updatedAt")

    class Meta:
        db_table = "GraphMetadataSubgraph"


class GraphMetadataDataPutRequest(models.Model):
    """A one-time upload slot handed out by `signed-put` and spent by the PUT."""

    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    ip_address = models.TextField(db_column="ipAddress")
    filename = models.TextField()
    # The PUT URL without its token (upstream keeps the presigned URL here).
    url = models.TextField()
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, db_column="userId", related_name="graph_put_requests"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")
    # Not upstream's (it relies on S3's signature): the token's SHA-256, the key the PUT
    # writes, the announced size, and when the one PUT allowed was spent.
    token_hash = models.CharField(max_length=64, default="", db_column="tokenHash")
    storage_key = models.TextField(default="", db_column="storageKey")
    content_length = models.BigIntegerField(default=0, db_column="contentLength")
    uploaded_at = models.DateTimeField(null=True, blank=True, db_column="uploadedAt")

    class Meta:
        db_table = "GraphMetadataDataPutRequest"
        # Used by graphs.uploads.check_daily_limit (per IP, last 24 hours) and per-user lookups.
        indexes = [
            models.Index(fields=["ip_address"], name="graphput_ip"),
            models.Index(fields=["user"], name="graphput_user"),
        ]
