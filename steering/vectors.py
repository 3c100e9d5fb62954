"""User-uploaded steering vectors, stored as Neuronpedia stores them: `Neuron` rows with
`hasVector`, under the UNLISTED `neuronpedia-resid-pre|post` source sets (created by the bot
user) and `{layer}-neuronpedia-resid-pre|post` sources, with a random index in
[90,000,000, 179,999,999]. Values are float64 (`double precision[]`), so a vector reads back
exactly as it was sent.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from bus import task_names
from bus.errors import WorkerError
from features.models import Activation, Feature, Model, Source, SourceSet, Visibility
from features.rows import row_dict
from neuronpedia_format.sources import source_id
from neuronpedia_format.users import BOT_USER_ID
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User
from steering.dispatch import call_worker
from steering.feature_lookup import visible_sources

INDEX_MIN = 90_000_000
INDEX_SPAN = 90_000_000  # Neuronpedia: floor(rand * 90M) + 90M
DEFAULT_SAE_STRENGTH = 10  # what vector/get reports for an SAE latent's decoder row
VECTOR_NOT_FOUND = "Vector not found"
_GET_FIELDS = (
    "modelId",
    "layer",
    "index",
    "vectorLabel",
    "createdAt",
    "creatorId",
    "vectorDefaultSteerStrength",
    "hookName",
    "vector",
)


def vector_set_name(hook_type: str) -> str:
    """The source set of user vectors at a hook: `hook_resid_pre` -> `neuronpedia-resid-pre`."""
    return "neuronpedia-" + hook_type.removeprefix("hook_").replace("_", "-")


def vector_source_id(layer: int, hook_type: str) -> str:
    return source_id(layer, vector_set_name(hook_type))


def _ensure_source(model: Model, layer: int, hook_type: str) -> Source:
    set_name = vector_set_name(hook_type)
    SourceSet.objects.get_or_create(
        model=model,
        name=set_name,
        defaults={
            "visibility": Visibility.UNLISTED,
            "creator_id": BOT_USER_ID,
            "description": f"Custom steering vectors ({hook_type})",
            "type": "Custom",
            "creator_name": "Neuronpedia users",
            "has_dashboards": False,
            "allow_inference_search": False,
        },
    )
    source, _ = Source.objects.get_or_create(
        model=model,
        source_id=vector_source_id(layer, hook_type),
        defaults={
            "set_name": set_name,
            "visibility": Visibility.UNLISTED,
            "creator_id": BOT_USER_ID,
            "has_dashboards": False,
        },
    )
    return source


def create_vector(
    user: User,
    *,
    model_id: str,
    layer: int,
    hook_type: str,
    values: list[float],
    default_strength: float,
    label: str,
) -> Feature:
    """Check the vector against its model, then store it under a new random index."""
    model = Model.objects.viewable_by(user).filter(id=model_id).first()
    if model is None:
        raise ApiError(f"Model not found: {model_id}")
    if layer >= model.layers:
        raise ApiError(
            f"layerNumber {layer} is too large: {model_id} has {model.layers} layers (0 to "
            f"{model.layers - 1})"
        )
    if not model.dimension:
        raise ApiError(f"The model {model_id} has no dimension set, so vectors can't be checked")
    if len(values) != model.dimension:
        raise ApiError(
            f"The vector has {len(values)} values; {model_id} has dimension {model.dimension}"
        )
    source = _ensure_source(model, layer, hook_type)
    for _ in range(5):
        try:
            with transaction.atomic():
                return Feature.objects.create(
                    model=model,
                    layer=source.source_id,
                    index=str(INDEX_MIN + secrets.randbelow(INDEX_SPAN)),
                    source_set_name=source.set_name,
                    creator=user,
                    has_vector=True,
                    vector=values,
                    vector_label=label,
                    vector_default_steer_strength=default_strength,
                    hook_name=f"blocks.{layer}.{hook_type}",
                )
        except IntegrityError:
            continue  # the random index was taken; draw another
    raise ApiError("Could not allocate an index for the vector; try again", status=500)


def new_vector_response(feature: Feature) -> dict[str, Any]:
    return {
        "message": "Success",
        "url": f"{settings.SITE_URL}/{feature.model_id}/{feature.layer}/{feature.index}",
        "vector": {
            "modelId": feature.model_id,
            "source": feature.layer,
            "index": feature.index,
            "label": feature.vector_label,
            "createdAt": row_dict(feature)["createdAt"],
            "defaultSteerStrength": feature.vector_default_steer_strength,
            "hookName": feature.hook_name,
            "values": feature.vector,
        },
    }


def vector_dict(feature: Feature) -> dict[str, Any]:
    """The row fields vector/get and vector/list-owned return."""
    row = row_dict(feature)
    return {name: row[name] for name in _GET_FIELDS}


def get_vector(model_id: str, source: str, index: str, user: User | None) -> dict[str, Any]:
    """A stored vector, or an SAE latent's decoder row from the worker serving the model."""
    model = Model.objects.viewable_by(user).filter(id=model_id).first()
    if model is None or source not in visible_sources(model, [source], user):
        raise ApiError(VECTOR_NOT_FOUND, status=404)
    feature = Feature.objects.filter(model=model, layer=source, index=index).first()
    if feature is not None and feature.has_vector:
        return vector_dict(feature)
    try:
        found = call_worker(
            model.id, task_names.FEATURE_VECTOR, {"source": source, "index": int(index)}
        )
    except WorkerError as exc:
        raise ApiError(VECTOR_NOT_FOUND, status=404) from exc
    return {
        "modelId": model.id,
        "layer": source,
        "index": index,
        "vectorLabel": "",
        "hookName": found["hookName"],
        "vector": found["vector"],
        "vectorDefaultSteerStrength": DEFAULT_SAE_STRENGTH,
    }


def delete_vector(user: User, model_id: str, source: str, index: str) -> int:
    """Delete the caller's own vector; others' vectors and missing ones are left alone (as
    Neuronpedia does, the caller is told "Success" either way). Returns the rows deleted."""
    deleted, _ = Feature.objects.filter(
        model_id=model_id, layer=source, index=index, has_vector=True, creator=user
    ).delete()
    return deleted


def owned_vectors(user: User) -> list[dict[str, Any]]:
    rows = Feature.objects.filter(creator=user, has_vector=True).order_by("-created_at")
    return [vector_dict(f) for f in rows]


def upload_activations(
    user: User, model_id: str, source: str, index: str, activations: list[dict[str, Any]]
) -> int:
    """Store example texts for the caller's own vector, with max, min and argmax computed."""
    feature = Feature.objects.filter(
        model_id=model_id, layer=source, index=index, has_vector=True
    ).first()
    if feature is None:
        raise ApiError(VECTOR_NOT_FOUND, status=404)
    if feature.creator_id != user.id:
        raise ApiError("You can only upload activations for your own vectors.", status=403)
    rows = []
    for item in activations:
        values = item["values"]
        top = max(range(len(values)), key=values.__getitem__)
        rows.append(
            Activation(
                model_id=model_id,
                layer=source,
                index=index,
                tokens=item["tokens"],
                values=values,
                max_value=values[top],
                max_value_token_index=top,
                min_value=min(values),
                creator=user,
                data_source="upload",
            )
        )
    with transaction.atomic():
        Activation.objects.bulk_create(rows)
        highest = max(r.max_value for r in rows)
        if feature.max_act_approx is None or highest > feature.max_act_approx:
            feature.max_act_approx = highest
            feature.save(update_fields=["max_act_approx"])
    return len(rows)
