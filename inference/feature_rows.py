"""Features joined for inference answers: Neuronpedia's Neuron JSON for many `(layer, index)`
keys of one model, each with its explanations, its model and (optionally) its top public
activation, written by PostgreSQL in one prepared statement.

Search via inference joins up to 100 features per request. Built from ORM rows that took three
queries, ~50 row objects and a JSON encoding of them all (~7 ms on a 2-core box, more than the
rest of the web side together); one statement returning the JSON text costs about a
millisecond, and the text goes into the answer as it is.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from features.activation_rows import activation_json_sql
from features.feature_detail import BLANKED_COLUMNS
from features.models import Activation, Explanation, Feature, Model
from features.rows import json_object_sql, table
from features.sql import prepared
from neuronpedia_site.models import PUBLIC_ACTIVATIONS_USER_IDS
from neuronpedia_site.responses import RawJSON

FeatureKey = tuple[str, str]  # (layer, index) within one model


class NeuronText(RawJSON):
    """One feature's Neuron JSON as PostgreSQL wrote it (embedded as it is in an answer), and
    its density for the filters."""

    __slots__ = ("frac_nonzero",)

    def __init__(self, text: str, frac_nonzero: float) -> None:
        super().__init__(text)
        self.frac_nonzero = frac_nonzero


def neuron_texts(
    model_id: str, keys: Iterable[FeatureKey], with_activation: bool = True
) -> dict[FeatureKey, NeuronText]:
    """Neuron JSON for the keys that have a Feature row: the whole row (`correlated_features_*`
    blanked, `frac_nonzero` included) plus `explanations` (whole rows but the embedding, best
    `scoreV2` first), `model` (the whole row) and, with `with_activation`, `activations`: the
    feature's top public activation (highest `maxValue`), or `[]`.

    As text (`NeuronText` is a `responses.RawJSON`), for answers that embed it as it is: a
    search's 50 neurons are ~80 KB that would otherwise be parsed only to be written again."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    params = {
        "model_id": model_id,
        "layers": [layer for layer, _ in wanted],
        "indexes": [index for _, index in wanted],
    }
    if with_activation:
        params["public"] = list(PUBLIC_ACTIVATIONS_USER_IDS)
        rows = prepared.fetch_all("np_inference_neurons", _query(True), params)
    else:
        rows = prepared.fetch_all("np_inference_neurons_bare", _query(False), params)
    return {(layer, index): NeuronText(text, frac) for layer, index, frac, text in rows}


def _same_feature(alias: str) -> str:
    return (
        f'{alias}."modelId" = n."modelId" AND {alias}."layer" = n."layer" '
        f'AND {alias}."index" = n."index"'
    )


@functools.cache
def _query(with_activation: bool) -> str:
    explanation = json_object_sql(Explanation, "e", exclude=("embedding",))
    # The ORM's order_by("-score_v2", "-score_v1", "created_at"): DESC puts NULLs first.
    extra = [
        (
            "explanations",
            f'COALESCE((SELECT json_agg({explanation} ORDER BY e."scoreV2" DESC, '
            f'e."scoreV1" DESC, e."createdAt") FROM {table(Explanation)} e '
            f"WHERE {_same_feature('e')}), '[]'::json)",
        ),
        ("model", "m.j"),  # the model's row, built once for all the features
    ]
    if with_activation:
        activation = activation_json_sql("a")
        extra.append(
            (
                "activations",
                f"COALESCE((SELECT json_build_array({activation}) FROM {table(Activation)} a "
                f'WHERE {_same_feature("a")} AND a."creatorId" = ANY(%(public)s::text[]) '
                "ORDER BY a.\"maxValue\" DESC LIMIT 1), '[]'::json)",
            )
        )
    neuron = json_object_sql(
        Feature, "n", replace={c: "'[]'::json" for c in BLANKED_COLUMNS}, extra=extra
    )
    return (
        f'SELECT n."layer", n."index", n."frac_nonzero", ({neuron})::text '
        f"FROM (SELECT {json_object_sql(Model, 'mm')} AS j FROM {table(Model)} mm "
        'WHERE mm."id" = %(model_id)s) m, '
        "unnest(%(layers)s::text[], %(indexes)s::text[]) AS k(layer, idx) "
        f'JOIN {table(Feature)} n ON n."modelId" = %(model_id)s AND n."layer" = k.layer '
        'AND n."index" = k.idx'
    )
