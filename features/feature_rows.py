"""Features joined for inference answers: Neuronpedia's Neuron JSON for many `(layer, index)`
keys of one model, each with its explanations, its model and (optionally) its top public
activation, built by PostgreSQL in one prepared statement.

Search via inference joins up to 100 features per request; building them from ORM rows took
three queries and ~50 Python row objects (a third of the web side of a search on a GPU
worker), while one statement that returns the JSON text costs about a millisecond.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

from features import prepared
from features.feature_detail import BLANKED_COLUMNS
from features.models import Activation, Explanation, Feature, Model
from features.rows import json_object_sql, table
from neuronpedia_site.models import PUBLIC_ACTIVATIONS_USER_IDS

FeatureKey = tuple[str, str]  # (layer, index) within one model


def neurons(
    model_id: str, keys: Iterable[FeatureKey], with_activation: bool = True
) -> dict[FeatureKey, dict[str, Any]]:
    """Neuron JSON for the keys that have a Feature row: the whole row (`correlated_features_*`
    blanked, `frac_nonzero` included) plus `explanations` (whole rows but the embedding, best
    `scoreV2` first), `model` (the whole row) and, with `with_activation`, `activations`: the
    feature's top public activation (highest `maxValue`), or `[]`."""
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
        row = prepared.fetch_one("np_inference_neurons", _query(True), params)
    else:
        row = prepared.fetch_one("np_inference_neurons_bare", _query(False), params)
    return {(n["layer"], n["index"]): n for n in json.loads(row[0])} if row else {}


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
        ("model", json_object_sql(Model, "m")),
    ]
    if with_activation:
        activation = json_object_sql(Activation, "a")
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
        f"SELECT COALESCE(json_agg({neuron}), '[]'::json)::text "
        "FROM unnest(%(layers)s::text[], %(indexes)s::text[]) AS k(layer, idx) "
        f'JOIN {table(Feature)} n ON n."modelId" = %(model_id)s AND n."layer" = k.layer '
        'AND n."index" = k.idx '
        f'JOIN {table(Model)} m ON m."id" = n."modelId"'
    )
