"""Saved steering outputs as a cache: a repeated request is answered from SteerOutput rows.

The key is Neuronpedia's: model, type, md5 of the input (the prompt, or the normalised chat
JSON), every setting, the row version, and the exact set of `(modelId, layer, index, strength)`
that steered it (none for DEFAULT). Rows are also the share links (`/steer/{id}`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction
from django.db.models import Count

from bus.steering import DEFAULT, STEERED
from steering.models import STEER_OUTPUT_VERSION, SteerOutput, SteerOutputToNeuron
from steering.plan import Output, SteerPlan

# A key can match several rows (two identical requests racing); a few candidates are enough.
MAX_CANDIDATES = 20


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _key_filter(plan: SteerPlan, steer_type: str) -> dict[str, Any]:
    settings = plan.settings
    key: dict[str, Any] = {
        "model_id": plan.model.id,
        "type": steer_type,
        "temperature": settings.temperature,
        "num_tokens": settings.n_tokens,
        "freq_penalty": settings.freq_penalty,
        "seed": settings.seed,
        "strength_multiplier": settings.strength_multiplier,
        "version": STEER_OUTPUT_VERSION,
        "steer_special_tokens": settings.steer_special_tokens,
        "steer_method": settings.steer_method,
        "normalize_steering": settings.normalize_steering,
    }
    if plan.chat:
        key["input_text_chat_template_md5"] = md5(plan.input_text(steer_type))
    else:
        key["input_text_md5"] = md5(plan.prompt)
        key["input_text_chat_template_md5__isnull"] = True
    return key


def find(plan: SteerPlan, steer_type: str) -> SteerOutput | None:
    """The newest saved output for this request and type, if any (two queries)."""
    wanted = plan.neuron_keys(steer_type)
    candidates = (
        SteerOutput.objects.filter(**_key_filter(plan, steer_type))
        .annotate(n_neurons=Count("to_neurons"))
        .filter(n_neurons=len(wanted))
        .order_by("-created_at")
        .prefetch_related("to_neurons")[:MAX_CANDIDATES]
    )
    for row in candidates:
        have = {(n.model_id, n.layer, n.index, n.strength) for n in row.to_neurons.all()}
        if have == wanted:
            return row
    return None


def find_all(plan: SteerPlan) -> dict[str, SteerOutput]:
    found = {t: find(plan, t) for t in plan.types}
    return {t: row for t, row in found.items() if row is not None}


def output_from_row(row: SteerOutput) -> Output:
    chat_template = (
        json.loads(row.output_text_chat_template) if row.output_text_chat_template else None
    )
    logprobs = json.loads(row.logprobs) if row.logprobs else None
    return Output(row.type, row.output_text, chat_template, logprobs, row.input_text)


@transaction.atomic
def save(
    plan: SteerPlan, outputs: dict[str, Output], cached: dict[str, SteerOutput]
) -> dict[str, SteerOutput]:
    """Rows for every type: the cached ones, plus new rows for `outputs` (DEFAULT first, then
    STEERED pointing at its DEFAULT row, as Neuronpedia saves them)."""
    rows = dict(cached)
    for steer_type in (DEFAULT, STEERED):
        if steer_type not in outputs:
            continue
        row = _new_row(plan, outputs[steer_type])
        if steer_type == STEERED:
            row.connected_default_output = rows.get(DEFAULT)
        row.save()
        SteerOutputToNeuron.objects.bulk_create(
            SteerOutputToNeuron(
                steer_output=row, model_id=model_id, layer=layer, index=index, strength=strength
            )
            for model_id, layer, index, strength in sorted(plan.neuron_keys(steer_type))
        )
        rows[steer_type] = row
    default, steered = rows.get(DEFAULT), rows.get(STEERED)
    if STEERED in outputs and default is not None and steered is not None:
        default.connected_steer_output_ids = [*default.connected_steer_output_ids, steered.id]
        default.save(update_fields=["connected_steer_output_ids"])
    return rows


def _new_row(plan: SteerPlan, output: Output) -> SteerOutput:
    settings = plan.settings
    row = SteerOutput(
        type=output.type,
        model=plan.model,
        steer_special_tokens=settings.steer_special_tokens,
        output_text=output.text,
        temperature=settings.temperature,
        num_tokens=settings.n_tokens,
        freq_penalty=settings.freq_penalty,
        seed=settings.seed,
        strength_multiplier=settings.strength_multiplier,
        steer_method=settings.steer_method,
        normalize_steering=settings.normalize_steering,
        version=STEER_OUTPUT_VERSION,
        logprobs=json.dumps(output.logprobs) if output.logprobs is not None else None,
        creator=plan.user,
    )
    if plan.chat:
        chat_input = plan.input_text(output.type)
        row.input_text = output.input_raw or ""
        row.input_text_chat_template = chat_input
        row.input_text_chat_template_md5 = md5(chat_input)
        row.output_text_chat_template = json.dumps(output.chat_template)
    else:
        row.input_text = plan.prompt
        row.input_text_md5 = md5(plan.prompt)
    return row
