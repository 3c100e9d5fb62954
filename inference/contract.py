"""The inference server contract (`/v1/...`), served by this site in front of its workers.

Neuronpedia's webapp talks to a separate FastAPI inference server; here the same paths and
bodies are answered by the site, which hands each request to a live worker of the model. The
PyPI `neuronpedia-inference-client` therefore works against `{site}/v1` unchanged:

- `X-SECRET-KEY` must equal `INFERENCE_SECRET` (401 otherwise); with no secret set, /v1 answers
  503 saying how to set one.
- Only what anonymous callers may see is served: a hidden model answers like an unknown one,
  a hidden source like an unserved one.
- Bodies are snake_case; camelCase keys are accepted too (as Neuronpedia's newer server does).
- A model no worker serves and the site does not know is 400 "Unsupported model"; a known
  model without a live worker is 503 naming the queue to start.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from django.conf import settings
from rest_framework import permissions
from rest_framework.request import Request

from bus import client, task_names
from inference import hosts as inference_hosts
from neuronpedia_site.errors import ApiError

SECRET_HEADER = "X-SECRET-KEY"
SECRET_ERROR = "Invalid or missing X-SECRET-KEY header"
SECRET_NOT_SET = (
    "The /v1 inference contract is off: the operator has not set INFERENCE_SECRET. Set it in the "
    "environment (or INFERENCE_SECRET_FILE) and send the same value as the X-SECRET-KEY header."
)
COSSIM_MAX_RESULTS = 128  # the contract clamps num_results here
TOPK_DEFAULT = 5

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


class InferenceSecretRequired(permissions.BasePermission):
    """`X-SECRET-KEY` equals `INFERENCE_SECRET`; closed (503, saying how to open it) while no
    secret is set."""

    def has_permission(self, request: Request, view: Any) -> bool:
        secret = settings.INFERENCE_SECRET
        if not secret:
            raise ApiError(SECRET_NOT_SET, status=503)
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise ApiError(SECRET_ERROR, status=401)
        return True


def snake_keys(data: Any) -> Any:
    """`{"sourceSet": ...}` -> `{"source_set": ...}`, in nested objects too; a key given in both
    spellings keeps its snake_case value."""
    if isinstance(data, list):
        return [snake_keys(item) for item in data]
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        snake = _CAMEL.sub(lambda m: "_" + m.group(1).lower(), key)
        if snake in out and snake != key:
            continue
        out[snake] = snake_keys(value)
    return out


# -- operations: validated snake_case bodies in, the contract's JSON out ------------------------


def tokenize(data: dict[str, Any]) -> dict[str, Any]:
    live = inference_hosts.require_for_contract(data["model"])
    return live.call(task_names.TOKENIZE, text=data["text"], prepend_bos=data["prepend_bos"])


def activation_single(data: dict[str, Any]) -> dict[str, Any]:
    return activation_single_batch({**data, "prompts": [data["prompt"]]})["results"][0]


def activation_single_batch(data: dict[str, Any]) -> dict[str, Any]:
    live = inference_hosts.require_for_contract(data["model"], [data["source"]])
    if data["vector"] is not None:
        return live.call(
            task_names.ACTIVATION_SINGLE,
            prompts=data["prompts"],
            vector=data["vector"],
            hook=data["hook"],
        )
    return live.call(
        task_names.ACTIVATION_SINGLE,
        prompts=data["prompts"],
        source=data["source"],
        index=data["index"],
    )


def activation_all(data: dict[str, Any]) -> dict[str, Any]:
    return activation_all_batch({**data, "prompts": [data["prompt"]]})["results"][0]


def activation_all_batch(data: dict[str, Any]) -> dict[str, Any]:
    live, selected = inference_hosts.search_for_contract(
        data["model"], data["source_set"], data["selected_sources"]
    )
    requests = [
        {
            "prompt": prompt,
            "source_set": data["source_set"],
            "selected_sources": selected,
            "sort_by_token_indexes": data["sort_by_token_indexes"],
            "ignore_bos": data["ignore_bos"],
            "feature_filter": data["feature_filter"],
            "num_results": data["num_results"],
        }
        for prompt in data["prompts"]
    ]
    return {"results": live.search(requests)}


def topk_by_token(data: dict[str, Any]) -> dict[str, Any]:
    return topk_by_token_batch({**data, "prompts": [data["prompt"]]})["results"][0]


def topk_by_token_batch(data: dict[str, Any]) -> dict[str, Any]:
    live = inference_hosts.require_for_contract(data["model"], [data["source"]])
    return live.call(
        task_names.TOPK_BY_TOKEN,
        prompts=data["prompts"],
        source=data["source"],
        top_k=data["top_k"] or TOPK_DEFAULT,
        ignore_bos=data["ignore_bos"],
    )


def source_activations(data: dict[str, Any]) -> dict[str, Any]:
    live = inference_hosts.require_for_contract(data["model"], [data["source"]])
    return live.call(task_names.SOURCE_ACTIVATIONS, prompts=data["prompts"], source=data["source"])


def sae_vector(data: dict[str, Any]) -> dict[str, Any]:
    live = inference_hosts.require_for_contract(data["model"], [data["source"]])
    return live.call(task_names.FEATURE_VECTOR, source=data["source"], index=data["index"])


def decoder_cossim(data: dict[str, Any]) -> dict[str, Any]:
    """Compare against the decoder of `source`: a `feature` of the same model, or a `vector`."""
    feature_source = (data["feature"] or {}).get("source")
    live = inference_hosts.require_for_contract(data["model"], [data["source"], feature_source])
    num_results = min(data["num_results"], COSSIM_MAX_RESULTS)
    feature = data["feature"]
    if feature is None:
        return live.call(
            task_names.DECODER_COSSIM_TOPK,
            source=data["source"],
            vector=data["vector"],
            num_results=num_results,
        )
    origin = inference_hosts.find(feature["model"])
    if origin is None or origin.queue != live.queue:
        raise ApiError(inference_hosts.UNSUPPORTED_MODEL, status=400)
    return live.call(
        task_names.DECODER_COSSIM_TOPK,
        source=feature["source"],
        feature_index=feature["index"],
        target_source=data["source"],
        num_results=num_results,
    )


# -- the autointerp server's operations: run by a worker on the default queue -------------------


def _autointerp(task: str, data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = client.call(
        task, data, queue=client.DEFAULT_QUEUE, timeout=settings.AUTOINTERP_TIMEOUT
    )
    return result


def explain_default(data: dict[str, Any]) -> dict[str, Any]:
    return _autointerp(task_names.AUTOINTERP_V1_EXPLAIN_DEFAULT, data)


def score_fuzz_detection(data: dict[str, Any]) -> dict[str, Any]:
    return _autointerp(task_names.AUTOINTERP_V1_SCORE_FUZZ_DETECTION, data)


def score_embedding(data: dict[str, Any]) -> dict[str, Any]:
    return _autointerp(task_names.AUTOINTERP_V1_SCORE_EMBEDDING, data)
