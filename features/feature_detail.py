"""One feature as Neuronpedia's `GET /api/feature/{modelId}/{layer}/{index}` returns it.

Public functions (the feature page reuses them):

- `get_feature(model_id, layer, index, user) -> dict | None`: the feature JSON as a dict.
- `feature_json(model_id, layer, index, user) -> str | None`: the same, as JSON text.
- `features_json(refs, user) -> str`: `POST /api/features`, several features in request order.

The feature object is the whole `Neuron` row (column names as keys, `correlated_features_*`
always `[]` as upstream blanks them) plus:

- `model`, `source`, `sourceSet`: the whole rows; `creator`: `{name}` or null;
- `lists`: `[{...ListsOnNeurons, list: {...List}}]` by `addedAt`, of the caller's own lists
  (a list is read by its id, so others' ids are not shown; `features.access.listed_list_sql`);
- `comments`: `[{...Comment, user: {name}}]` by `createdAt`;
- `activations`: every column of the public activations (creators in
  `PUBLIC_ACTIVATIONS_USER_IDS`, plus the vector's owner when `hasVector`), `maxValue` desc,
  with `binContains` null where it is not a fraction (`features.activation_rows`);
- `explanations`: `[{id, modelId, layer, index, description, explanationModelName, typeName,
  scores: [...ExplanationScore], triggeredByUser: {id, name} | null}]`, `scoreV2` desc (nulls
  last), then `scoreV1` desc.

Activations and explanations carry `source` (= `layer`) too: the official client's
`Feature.get` reads `source` there while upstream only sends `layer`.

PostgreSQL builds the whole JSON in one statement: this is the hottest read of the site (every
feature page and most client calls), and one round trip with no Python row objects is several
times cheaper than the ORM with prefetches.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from features.access import listed_list_sql, visibility_params, visible_sql
from features.activation_rows import activation_json_sql
from features.models import (
    Activation,
    Comment,
    Explanation,
    ExplanationScore,
    Feature,
    List,
    ListsOnNeurons,
    Model,
    Source,
    SourceSet,
)
from features.rows import json_object_sql, json_pairs_sql, table
from features.sql import prepared
from neuronpedia_site.models import PUBLIC_ACTIVATIONS_USER_IDS, User

BLANKED_COLUMNS = (
    "correlated_features_indices",
    "correlated_features_pearson",
    "correlated_features_l1",
)
MAX_BATCH_FEATURES = 250


@dataclass(frozen=True)
class FeatureRef:
    model_id: str
    layer: str
    index: str
    max_acts: int | None = None


def _same_feature(alias: str, feature: str = "n") -> str:
    return (
        f'{alias}."modelId" = {feature}."modelId" AND {alias}."layer" = {feature}."layer" '
        f'AND {alias}."index" = {feature}."index"'
    )


def _public_activation(alias: str) -> str:
    # %(public)s is PUBLIC_ACTIVATIONS_USER_IDS; a vector's owner sees their own examples.
    return (
        f'({alias}."creatorId" = ANY(%(public)s::text[]) '
        f'OR (n."hasVector" AND {alias}."creatorId" = n."creatorId"))'
    )


def _activations_sql(limit: str | None) -> str:
    act = activation_json_sql("a", extra=[("source", 'a."layer"')])
    order = 'a."maxValue" DESC, a."id"'
    if limit is None:
        source = f"{table(Activation)} a WHERE {_same_feature('a')} AND {_public_activation('a')}"
    else:
        source = (
            f"(SELECT * FROM {table(Activation)} a WHERE {_same_feature('a')} "
            f"AND {_public_activation('a')} ORDER BY {order} LIMIT {limit}) a"
        )
    return f"COALESCE((SELECT json_agg({act} ORDER BY {order}) FROM {source}), '[]'::json)"


def _explanations_sql(detailed: bool) -> str:
    base = [
        ("id", 'e."id"'),
        ("modelId", 'e."modelId"'),
        ("layer", 'e."layer"'),
        ("source", 'e."layer"'),
        ("index", 'e."index"'),
        ("description", 'e."description"'),
        ("explanationModelName", 'e."explanationModelName"'),
        ("typeName", 'e."typeName"'),
    ]
    if detailed:
        score = json_object_sql(ExplanationScore, "sc")
        base += [
            (
                "scores",
                f'COALESCE((SELECT json_agg({score} ORDER BY sc."createdAt", sc."id") '
                f'FROM {table(ExplanationScore)} sc WHERE sc."explanationId" = e."id"), '
                "'[]'::json)",
            ),
            (
                "triggeredByUser",
                "(SELECT json_build_object('id', tu.\"id\", 'name', tu.\"name\") "
                f'FROM {table(User)} tu WHERE tu."id" = e."triggeredByUserId")',
            ),
        ]
    order = 'e."scoreV2" DESC NULLS LAST, e."scoreV1" DESC, e."id"'
    return (
        f"COALESCE((SELECT json_agg({json_pairs_sql(base)} ORDER BY {order}) "
        f"FROM {table(Explanation)} e WHERE {_same_feature('e')}), '[]'::json)"
    )


def _neuron_sql(extra: list[tuple[str, str]]) -> str:
    return json_object_sql(
        Feature, "n", replace={c: "'[]'::json" for c in BLANKED_COLUMNS}, extra=extra
    )


@functools.cache
def _detail_select() -> str:
    lon = json_object_sql(ListsOnNeurons, "lon", extra=[("list", json_object_sql(List, "l"))])
    comment = json_object_sql(
        Comment, "c", extra=[("user", "json_build_object('name', cu.\"name\")")]
    )
    return _neuron_sql(
        [
            ("model", json_object_sql(Model, "m")),
            ("source", json_object_sql(Source, "s")),
            ("sourceSet", json_object_sql(SourceSet, "ss")),
            (
                "creator",
                f"(SELECT json_build_object('name', u.\"name\") FROM {table(User)} u "
                'WHERE u."id" = n."creatorId")',
            ),
            (
                "lists",
                f'COALESCE((SELECT json_agg({lon} ORDER BY lon."addedAt", lon."_key") '
                f'FROM {table(ListsOnNeurons)} lon JOIN {table(List)} l ON l."id" = lon."listId" '
                f"WHERE {_same_feature('lon')} AND {listed_list_sql('l')}), '[]'::json)",
            ),
            (
                "comments",
                f'COALESCE((SELECT json_agg({comment} ORDER BY c."createdAt", c."id") '
                f'FROM {table(Comment)} c JOIN {table(User)} cu ON cu."id" = c."userId" '
                f"WHERE {_same_feature('c')}), '[]'::json)",
            ),
            ("activations", _activations_sql(limit=None)),
            ("explanations", _explanations_sql(detailed=True)),
        ]
    )


def _from_visible(feature_source: str) -> str:
    """The feature's model, source and set joined in, keeping only what the caller may see."""
    return (
        f'{feature_source} JOIN {table(Model)} m ON m."id" = n."modelId" '
        f'JOIN {table(Source)} s ON s."modelId" = n."modelId" AND s."id" = n."layer" '
        f'JOIN {table(SourceSet)} ss ON ss."modelId" = s."modelId" AND ss."name" = s."setName" '
        f"WHERE {visible_sql('m')} AND {visible_sql('s')} AND {visible_sql('ss')}"
    )


@functools.cache
def _detail_query() -> str:
    return (
        f"SELECT ({_detail_select()})::text FROM {_from_visible(f'{table(Feature)} n')} "
        'AND n."modelId" = %(model_id)s AND n."layer" = %(layer)s AND n."index" = %(index)s'
    )


def feature_json(model_id: str, layer: str, index: str, user: User | None) -> str | None:
    """The feature as JSON text, or None when it is missing or hidden from `user`."""
    params = {
        "model_id": model_id,
        "layer": layer,
        "index": index,
        "public": list(PUBLIC_ACTIVATIONS_USER_IDS),
        **visibility_params(user),
    }
    row = prepared.fetch_one("np_feature_detail", _detail_query(), params)
    return row[0] if row else None


def get_feature(model_id: str, layer: str, index: str, user: User | None) -> dict[str, Any] | None:
    """The feature as a dict (see the module docstring), or None when missing or hidden."""
    text = feature_json(model_id, layer, index, user)
    return json.loads(text) if text is not None else None


@functools.cache
def _batch_select() -> str:
    return _neuron_sql(
        [
            ("explanations", _explanations_sql(detailed=False)),
            ("activations", _activations_sql(limit="req.max_acts")),
        ]
    )


def features_json(refs: Sequence[FeatureRef], user: User | None) -> str:
    """`POST /api/features`: the visible features among `refs`, as a JSON array in their order.

    Each is the whole `Neuron` row with `explanations` (description, explanationModelName,
    typeName) and its public activations, the top `max_acts` of them when given.
    """
    if not refs:
        return "[]"
    params = {
        "models": [r.model_id for r in refs],
        "layers": [r.layer for r in refs],
        "indexes": [r.index for r in refs],
        "max_acts": [r.max_acts for r in refs],
        "public": list(PUBLIC_ACTIVATIONS_USER_IDS),
        **visibility_params(user),
    }
    row = prepared.fetch_one("np_features_batch", _batch_query(), params)
    return row[0] if row else "[]"


@functools.cache
def _batch_query() -> str:
    requests = (
        "unnest(%(models)s::text[], %(layers)s::text[], %(indexes)s::text[], %(max_acts)s::int[]) "
        "WITH ORDINALITY AS req(model_id, layer, idx, max_acts, ord) "
        f'JOIN {table(Feature)} n ON n."modelId" = req.model_id AND n."layer" = req.layer '
        'AND n."index" = req.idx'
    )
    return (
        f"SELECT COALESCE(json_agg(({_batch_select()}) ORDER BY req.ord), '[]'::json)::text "
        f"FROM {_from_visible(requests)}"
    )
