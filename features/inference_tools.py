"""Small inference utilities of the API: tokenize a prompt (`/api/tokenize`) and find the
features whose decoder directions are closest to a feature's (`/api/cossim`)."""

from __future__ import annotations

from typing import Any

from features import inference_hosts
from features.models import Feature
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

COSSIM_RESULTS = 10  # Neuronpedia's /api/cossim always asks for 10


def tokenize(model_id: str, prompt: str, prepend_bos: bool, user: User | None) -> dict[str, Any]:
    """`{tokens: [int], token_strings: [str], prepend_bos}`, the worker's answer."""
    model = inference_hosts.visible_model(model_id, user)
    return inference_hosts.require(model.id).call("tokenize", text=prompt, prepend_bos=prepend_bos)


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
    model = inference_hosts.visible_model(model_id, user)
    target_model = inference_hosts.visible_model(target_model_id, user)
    target = inference_hosts.require(target_model.id)
    target.require_source(target_source)
    inference_hosts.check_sources_visible(target_model.id, [target_source], user)
    feature = Feature.objects.filter(model=model, layer=source, index=index).first()
    if feature is not None and feature.has_vector:
        if not feature.vector:
            raise ApiError("This vector has no values.", status=400)
        return target.call(
            "decoder_cossim_topk",
            source=target_source,
            vector=feature.vector,
            num_results=COSSIM_RESULTS,
        )
    inference_hosts.check_sources_visible(model.id, [source], user)
    if target_model.id == model.id:
        target.require_source(source)
        return target.call(
            "decoder_cossim_topk",
            source=source,
            feature_index=int(index),
            target_source=target_source,
            num_results=COSSIM_RESULTS,
        )
    origin = inference_hosts.require(model.id)
    origin.require_source(source)
    vector = origin.call("feature_vector", source=source, index=int(index))["vector"]
    answer = target.call(
        "decoder_cossim_topk", source=target_source, vector=vector, num_results=COSSIM_RESULTS
    )
    return {"feature": {"model": model.id, "source": source, "index": int(index)}, **answer}
