"""Small inference utilities of the API: tokenize a prompt (`/api/tokenize`) and find the
features whose decoder directions are closest to a feature's (`/api/cossim`)."""

from __future__ import annotations

from typing import Any

from bus import task_names
from features.models import Feature
from inference import hosts as inference_hosts
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

COSSIM_RESULTS = 10  # Neuronpedia's /api/cossim always asks for 10


def tokenize(model_id: str, prompt: str, prepend_bos: bool, user: User | None) -> dict[str, Any]:
    """`{tokens: [int], token_strings: [str], prepend_bos}`, the worker's answer."""
    inference_hosts.check_visible(model_id, [], user)
    return inference_hosts.require(model_id).call(
        task_names.TOKENIZE, text=prompt, prepend_bos=prepend_bos
    )


def cossim(
    model_id: str,
    source: str,
    index: str,
    target_model_id: str,
    target_source: str,
    user: User | None,
) -> dict[str, Any]:
    """`{feature?, topk_decoder_cossim_features: [{feature: {model, source, index},
    cosine_similarity}]}`: the target source's features nearest to this one by decoder cosine.

    A vector is compared as itself. An SAE feature of the same model is compared on its worker
    (which holds both decoders); across models its decoder row is fetched from its own model's
    worker first and compared on the target's.
    """
    feature = Feature.objects.filter(model_id=model_id, layer=source, index=index).first()
    vector = feature if feature is not None and feature.has_vector else None
    # A vector is compared as itself: its layer names no source to check.
    own_sources = [] if vector is not None else [source]
    if target_model_id == model_id:
        inference_hosts.check_visible(model_id, [*own_sources, target_source], user)
    else:
        inference_hosts.check_visible(model_id, own_sources, user)
        inference_hosts.check_visible(target_model_id, [target_source], user)
    target = inference_hosts.require(target_model_id)
    target.require_source(target_source)
    if vector is not None:
        if not vector.vector:
            raise ApiError("This vector has no values.", status=400)
        return target.call(
            task_names.DECODER_COSSIM_TOPK,
            source=target_source,
            vector=vector.vector,
            num_results=COSSIM_RESULTS,
        )
    if target_model_id == model_id:
        target.require_source(source)
        return target.call(
            task_names.DECODER_COSSIM_TOPK,
            source=source,
            feature_index=int(index),
            target_source=target_source,
            num_results=COSSIM_RESULTS,
        )
    origin = inference_hosts.require(model_id)
    origin.require_source(source)
    vector = origin.call(task_names.FEATURE_VECTOR, source=source, index=int(index))["vector"]
    answer = target.call(
        task_names.DECODER_COSSIM_TOPK,
        source=target_source,
        vector=vector,
        num_results=COSSIM_RESULTS,
    )
    return {"feature": {"model": model_id, "source": source, "index": int(index)}, **answer}
