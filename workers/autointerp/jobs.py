"""Autointerp jobs as the worker runs them: read the feature, ask the LLM, save one row.

The web side (`features.autointerp`) has already checked the request; these functions look the
user's key up again here (keys never travel through the broker), and save nothing unless every
LLM request of the job succeeded. Failures come back as `{"error", "status"}` results, which
`bus.client.call` turns into the API's `{error, message}` answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import transaction

from features import embedding_jobs
from features.autointerp import (
    DUPLICATE_EXPLANATION,
    DUPLICATE_SCORE,
    EMBEDDING_SCORE_MODEL,
    EMBEDDING_SCORER,
    EXPLAINER_TYPES,
)
from features.models import (
    Activation,
    Explanation,
    ExplanationModelType,
    ExplanationScore,
    ExplanationScoreModel,
    Feature,
)
from features.rows import row_dict
from neuronpedia_site import llm_keys
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User
from workers.autointerp import examples as select
from workers.autointerp import scorers
from workers.autointerp.examples import Example
from workers.autointerp.explainers import EXPLAINERS
from workers.autointerp.llm import LLMError, Usage, chat

NO_ACTIVATIONS = "No activations found for this neuron"


def reported(job: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Known failures as `{"error", "status"}` results instead of exceptions."""

    def run(**kwargs: Any) -> dict[str, Any]:
        try:
            return job(**kwargs)
        except LLMError as exc:
            return {"error": exc.message, "status": exc.status}
        except scorers.ScoringInputError as exc:
            return {"error": str(exc), "status": 400}
        except ApiError as exc:
            return {"error": str(exc.detail), "status": exc.status_code}

    run.__name__ = job.__name__
    run.__doc__ = job.__doc__
    return run


def feature_examples(model_id: str, layer: str, index: str) -> list[Example]:
    return features_examples(model_id, layer, [index]).get(index, [])


def features_examples(model_id: str, layer: str, indexes: list[str]) -> dict[str, list[Example]]:
    """Index → the feature's activations as examples, strongest first, for many features of
    one source in one query (the batch job reads them ahead of its LLM requests)."""
    rows = Activation.objects.filter(model_id=model_id, layer=layer, index__in=indexes).order_by(
        "index", "-max_value", "id"
    )
    found: dict[str, list[Example]] = {}
    for a in rows.only("index", "tokens", "values", "max_value", "id"):
        found.setdefault(a.index, []).append(
            Example(tokens=list(a.tokens), values=list(a.values), max_value=a.max_value, id=a.id)
        )
    return found


@reported
def explain_feature(
    model_id: str,
    layer: str,
    index: str,
    explanation_type: str,
    explanation_model: str,
    user_id: str,
) -> dict[str, Any]:
    """`POST /api/explanation/generate`: one explanation, saved for the user."""
    user = User.objects.get(id=user_id)
    explainer = EXPLAINERS[explanation_type]
    model_row = ExplanationModelType.objects.get(name=explanation_model)
    feature = Feature.objects.get(model_id=model_id, layer=layer, index=index)
    chosen = select.for_explainer(feature_examples(model_id, layer, index), explainer.count)
    if not chosen:
        raise ApiError(NO_ACTIVATIONS, status=400)
    endpoint = llm_keys.explainer_endpoint(user, model_row.name, EXPLAINER_TYPES[explanation_type])
    model = llm_keys.model_id_for(endpoint, model_row.name, model_row.open_router_model_id)
    description = chat(
        endpoint,
        model,
        explainer.build(chosen, list(feature.pos_str or []), model_row.name),
        explainer.parse,
        **explainer.params,
    )
    with transaction.atomic():
        duplicate = Explanation.objects.filter(
            model_id=model_id,
            layer=layer,
            index=index,
            type_name_id=explanation_type,
            explanation_model_name_id=model_row.name,
        ).exists()
        if duplicate:
            raise ApiError(DUPLICATE_EXPLANATION, status=400)
        created = Explanation.objects.create(
            model_id=model_id,
            layer=layer,
            index=index,
            description=description,
            author=user,
            triggered_by_user=user,
            type_name_id=explanation_type,
            explanation_model_name_id=model_row.name,
        )
        embedding_jobs.kick()  # searchable by meaning once embedded (after the commit)
    return {"explanation": row_dict(created, exclude=("embedding",))}


@reported
def score_explanation(
    explanation_id: str, scorer_type: str, scorer_model: str | None, user_id: str
) -> dict[str, Any]:
    """`POST /api/explanation/score`: one score, saved with its `jsonDetails` breakdown."""
    user = User.objects.get(id=user_id)
    explanation = Explanation.objects.get(id=explanation_id)
    top, zero = select.for_scorer(
        feature_examples(explanation.model_id, explanation.layer, explanation.index)
    )
    details: Any
    if scorer_type == EMBEDDING_SCORER:
        score_model = EMBEDDING_SCORE_MODEL
        value, breakdown = scorers.embedding_score(explanation.description, top, zero)
        details = scorers.stored_embedding_details(breakdown, top + zero)
    else:
        assert scorer_model is not None  # checked by the web side
        model_row = ExplanationScoreModel.objects.get(name=scorer_model)
        score_model = model_row.name
        endpoint = llm_keys.scorer_endpoint(user)
        model = llm_keys.model_id_for(endpoint, model_row.name, model_row.open_router_model_id)
        if scorer_type == "recall_alt":
            value, details = scorers.recall_alt(endpoint, model, explanation.description, top, zero)
        else:
            kind = "FUZZ" if scorer_type == "eleuther_fuzz" else "DETECTION"
            value, breakdown = scorers.classify(
                kind, endpoint, model, explanation.description, top, zero
            )
            details = scorers.stored_classifier_details(breakdown)
    with transaction.atomic():
        duplicate = ExplanationScore.objects.filter(
            explanation=explanation,
            explanation_score_type_name_id=scorer_type,
            explanation_score_model_name_id=score_model,
        ).exists()
        if duplicate:
            raise ApiError(DUPLICATE_SCORE, status=400)
        saved = ExplanationScore.objects.create(
            initiated_by_user=user,
            value=value,
            explanation=explanation,
            explanation_score_type_name_id=scorer_type,
            explanation_score_model_name_id=score_model,
            json_details=json.dumps(details),
        )
    return {"score": row_dict(saved)}


# -- the autointerp server contract (/v1): the caller's examples and OpenRouter key ----------


def _openrouter(key: str) -> llm_keys.Endpoint:
    return llm_keys.Endpoint(llm_keys.OPENROUTER, llm_keys.base_url(llm_keys.OPENROUTER), key)


def _split(activations: list[dict[str, Any]]) -> tuple[list[Example], list[Example]]:
    """The contract's examples: those with any activation are activating (as upstream's
    `sum(values) > 0`), the rest are not."""
    items = select.from_wire(activations)
    return [e for e in items if sum(e.values) > 0], [e for e in items if sum(e.values) <= 0]


@reported
def v1_explain_default(
    activations: list[dict[str, Any]], openrouter_key: str, model: str
) -> dict[str, Any]:
    """`POST /v1/explain/default`: Delphi's default explainer on the given examples."""
    explainer = EXPLAINERS["eleuther_acts_top20"]
    items = select.from_wire(activations)
    if not items:
        raise scorers.ScoringInputError("No activations were given to explain.")
    explanation = chat(
        _openrouter(openrouter_key),
        model,
        explainer.build(items, [], model),
        explainer.parse,
        usage=Usage(),
        **explainer.params,
    )
    return {"explanation": explanation}


@reported
def v1_score_fuzz_detection(
    activations: list[dict[str, Any]],
    explanation: str,
    openrouter_key: str,
    model: str,
    type: str,
) -> dict[str, Any]:
    """`POST /v1/score/fuzz-detection`."""
    top, zero = _split(activations)
    score, breakdown = scorers.classify(
        type, _openrouter(openrouter_key), model, explanation, top, zero
    )
    return {"score": score, "breakdown": breakdown}


@reported
def v1_score_embedding(activations: list[dict[str, Any]], explanation: str) -> dict[str, Any]:
    """`POST /v1/score/embedding`."""
    top, zero = _split(activations)
    score, breakdown = scorers.embedding_score(explanation, top, zero)
    return {"score": score, "breakdown": breakdown}
