"""Bring-your-own dashboards: `POST /api/feature/upload-batch`.

The creator of a source set uploads features into one of its sources: activations (top
examples, optionally quantile bins), top/bottom logits, density and explanations. The mapping
to Neuronpedia's columns follows upstream:

- Neuron: `frac_nonzero` = density (-1 when absent), `pos_str`/`pos_values` from topLogits,
  `neg_str`/`neg_values` from bottomLogits, `maxActApprox` = the largest activation value;
- Activation: `creatorId` = the bot (a public-activation creator, so the examples show on the
  feature page), `dataSource` = "User {name}", `dataIndex` = the uploader's id,
  `binMin`/`binMax`/`binContains` = quantileMin/quantileMax/quantileFraction;
- Explanation: `typeName` = methodName and `explanationModelName` = modelName, both of which
  must already exist (ExplanationType / ExplanationModelType).

Differences, on purpose: a missing source of the set is created (upstream refuses), explanations
get no embedding (no OpenAI; the full-text search does not need one), and uploading a feature
again replaces what the same user uploaded for it before, so retries do not duplicate examples.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from features import embedding_jobs
from features.models import (
    Activation,
    Explanation,
    ExplanationModelType,
    ExplanationType,
    Feature,
    Source,
    SourceSet,
)
from neuronpedia_format.sources import layer_of, source_set_of
from neuronpedia_format.users import BOT_USER_ID
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

FEATURE_UPDATE_FIELDS = [
    "source_set_name",
    "frac_nonzero",
    "max_act_approx",
    "pos_str",
    "pos_values",
    "neg_str",
    "neg_values",
]


def _source_for_upload(user: User, model_id: str, source_id: str) -> Source:
    """The source to upload into: it must belong to a set `user` created; made if missing."""
    set_name = source_set_of(source_id)
    source_set = (
        SourceSet.objects.viewable_by(user)
        .filter(model_id=model_id, name=set_name)
        .select_related("model")
        .first()
    )
    if source_set is None:
        raise ApiError("source: Source set not found.", status=404)
    if source_set.creator_id != user.id:
        raise ApiError("You are not the creator of this source set.", status=403)
    source = Source.objects.filter(model_id=model_id, source_id=source_id).first()
    if source is not None:
        return source
    pattern = rf"^[0-9]+-{re.escape(set_name)}(__[a-z0-9_.-]+)?$"
    if not re.match(pattern, source_id):
        raise ApiError(f"source: Use '{{layer}}-{set_name}', e.g. '0-{set_name}'.")
    if layer_of(source_id) >= source_set.model.layers:
        raise ApiError(f"source: The model has {source_set.model.layers} layers.")
    return Source.objects.create(
        model_id=model_id,
        source_id=source_id,
        set_name=set_name,
        creator=user,
        visibility=source_set.visibility,
        has_dashboards=True,
    )


def _check_names(features: Sequence[dict[str, Any]]) -> None:
    """Explanation methods and models must be known, as upstream (400 listing the valid ones)."""
    explanations = [e for f in features for e in f.get("explanations") or []]
    for key, model, label in (
        ("methodName", ExplanationType, "Explanation Method Names"),
        ("modelName", ExplanationModelType, "Explanation Model Names"),
    ):
        wanted = {e[key].lower() for e in explanations if e.get(key)}
        if not wanted:
            continue
        known = set(model.objects.values_list("name", flat=True))
        if missing := sorted(wanted - known):
            raise ApiError(
                f"features: Invalid {label}: {', '.join(missing)}. "
                f"Valid: {', '.join(sorted(known))}."
            )


def _feature_row(user: User, source: Source, item: dict[str, Any]) -> Feature:
    top, bottom = item.get("topLogits") or [], item.get("bottomLogits") or []
    maxima = [max(a["values"]) for a in item["activations"]]
    density = item.get("density")
    return Feature(
        model_id=source.model_id,
        layer=source.source_id,
        index=str(item["index"]),
        creator=user,
        source_set_name=source.set_name,
        frac_nonzero=-1 if density is None else density,
        max_act_approx=max([0.0, *maxima]),
        pos_str=[logit["token"] for logit in top],
        pos_values=[logit["value"] for logit in top],
        neg_str=[logit["token"] for logit in bottom],
        neg_values=[logit["value"] for logit in bottom],
    )


def _activation_rows(user: User, source: Source, item: dict[str, Any]) -> list[Activation]:
    rows = []
    for act in item["activations"]:
        values = act["values"]
        top = max(range(len(values)), key=values.__getitem__)
        rows.append(
            Activation(
                model_id=source.model_id,
                layer=source.source_id,
                index=str(item["index"]),
                tokens=act["tokens"],
                values=values,
                max_value=values[top],
                max_value_token_index=top,
                min_value=min(values),
                creator_id=BOT_USER_ID,
                data_source=f"User {user.username}",
                data_index=user.id,
                bin_min=act.get("quantileMin"),
                bin_max=act.get("quantileMax"),
                bin_contains=act.get("quantileFraction"),
            )
        )
    return rows


def _explanation_rows(user: User, source: Source, item: dict[str, Any]) -> list[Explanation]:
    return [
        Explanation(
            model_id=source.model_id,
            layer=source.source_id,
            index=str(item["index"]),
            description=e["text"],
            author=user,
            type_name_id=(e.get("methodName") or "").lower() or None,
            explanation_model_name_id=(e.get("modelName") or "").lower() or None,
        )
        for e in item.get("explanations") or []
    ]


def upload_batch(
    user: User, model_id: str, source_id: str, features: Sequence[dict[str, Any]]
) -> dict[str, str]:
    """Create or replace `features` in the source; returns upstream's `{message}`."""
    _check_names(features)
    with transaction.atomic():
        source = _source_for_upload(user, model_id, source_id)
        Feature.objects.bulk_create(
            [_feature_row(user, source, item) for item in features],
            update_conflicts=True,
            unique_fields=["model", "layer", "index"],
            update_fields=FEATURE_UPDATE_FIELDS,
        )
        indexes = [str(item["index"]) for item in features]
        mine = {"model_id": model_id, "layer": source.source_id, "index__in": indexes}
        # Replace only what this user uploaded before: imported and other users' rows stay.
        Activation.objects.filter(**mine, data_index=user.id, creator_id=BOT_USER_ID).delete()
        Explanation.objects.filter(**mine, author=user).delete()
        Activation.objects.bulk_create(
            [row for item in features for row in _activation_rows(user, source, item)]
        )
        explanations = Explanation.objects.bulk_create(
            [row for item in features for row in _explanation_rows(user, source, item)]
        )
        if explanations:
            embedding_jobs.kick()  # sent when this transaction commits
    return {"message": f"{len(features)} features created."}
