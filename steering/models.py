"""Saved steering outputs (the cache behind /api/steer and the /steer/{id} share pages)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from features.models import Model
from neuronpedia_site.ids import new_id
from neuronpedia_site.models import User

STEER_OUTPUT_VERSION = 2  # rows below 2 held the prompt inside outputText for completions


class SteerOutput(models.Model):
    class Type(models.TextChoices):
        DEFAULT = "DEFAULT"
        STEERED = "STEERED"

    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    type = models.CharField(max_length=8, choices=Type.choices)
    model = models.ForeignKey(
        Model, on_delete=models.CASCADE, db_column="modelId", related_name="+"
    )
    steer_special_tokens = models.BooleanField(default=False, db_column="steerSpecialTokens")
    input_text = models.TextField(default="", blank=True, db_column="inputText")
    input_text_md5 = models.CharField(
        max_length=32, null=True, blank=True, db_column="inputTextMd5"
    )
    input_text_chat_template = models.TextField(
        null=True, blank=True, db_column="inputTextChatTemplate"
    )
    input_text_chat_template_md5 = models.CharField(
        max_length=32, null=True, blank=True, db_column="inputTextChatTemplateMd5"
    )
    output_text = models.TextField(default="", blank=True, db_column="outputText")
    output_text_chat_template = models.TextField(
        null=True, blank=True, db_column="outputTextChatTemplate"
    )
    temperature = models.FloatField(default=0.5)
    num_tokens = models.IntegerField(default=32, db_column="numTokens")
    freq_penalty = models.FloatField(default=1, db_column="freqPenalty")
    seed = models.FloatField(default=16)
    strength_multiplier = models.FloatField(default=1, db_column="strengthMultiplier")
    steer_method = models.CharField(
        max_length=32, default="SIMPLE_ADDITIVE", db_column="steerMethod"
    )
    # Not a Neuronpedia column (its webapp never normalises); part of our cache key, since
    # /api/steer accepts `normalize_steering` as the inference server does.
    normalize_steering = models.BooleanField(default=False, db_column="normalizeSteering")
    version = models.IntegerField(default=STEER_OUTPUT_VERSION)
    logprobs = models.TextField(null=True, blank=True)
    creator = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="creatorId",
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")
    cap_monitor_output = models.TextField(null=True, blank=True, db_column="capMonitorOutput")
    connected_default_output = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="connectedDefaultOutputId",
        related_name="+",
    )
    connected_steer_output_ids = ArrayField(
        models.TextField(), default=list, blank=True, db_column="connectedSteerOutputIds"
    )

    class Meta:
        db_table = "SteerOutput"
        # Used by steering.cache: every steer request first looks for a saved answer.
        indexes = [
            models.Index(
                fields=[
                    "model",
                    "type",
                    "input_text_md5",
                    "temperature",
                    "num_tokens",
                    "freq_penalty",
                    "seed",
                    "strength_multiplier",
                    "version",
                    "steer_special_tokens",
                    "steer_method",
                ],
                name="steeroutput_completion_key",
            ),
            models.Index(
                fields=[
                    "model",
                    "type",
                    "input_text_chat_template_md5",
                    "temperature",
                    "num_tokens",
                    "freq_penalty",
                    "seed",
                    "strength_multiplier",
                    "version",
                    "steer_special_tokens",
                    "steer_method",
                ],
                name="steeroutput_chat_key",
            ),
        ]


class SteerOutputToNeuron(models.Model):
    """Which features, at which strengths, made a STEERED output."""

    key = models.BigAutoField(primary_key=True, db_column="_key")
    steer_output = models.ForeignKey(
        SteerOutput, on_delete=models.CASCADE, db_column="steerOutputId", related_name="to_neurons"
    )
    model_id = models.CharField(max_length=64, db_column="modelId")
    layer = models.CharField(max_length=255)
    index = models.CharField(max_length=32)
    strength = models.FloatField()

    class Meta:
        db_table = "SteerOutputToNeuron"
        constraints = [
            models.UniqueConstraint(
                fields=["steer_output", "model_id", "layer", "index", "strength"],
                name="steeroutputtoneuron_key",
            )
        ]
