"""Search via inference: the top features of a text (`/api/search-all/`) and the top features at
each token (`/api/search-topk-by-token/`), with Neuronpedia's filters, joins and side effects.

The worker ranks (`workers.inference.activations_all_many`: BOS zeroing, sort by token indexes,
top-k across sources); this module keeps what Neuronpedia's webapp does around it: drop results
that never fire, drop features denser than the threshold, join the DB features, save each result
as an Activation with a SavedSearch, and answer an identical later request from that cache.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from bus import task_names
from features.access import hidden_sources_sql, visibility_params, visible_model_sql
from features.models import (
    Activation,
    SavedSearch,
    SavedSearchActivation,
)
from features.rows import table
from features.sql import prepared
from features.sql.bulk_insert import insert_sql, insert_values, row_values
from inference import feature_rows
from inference import hosts as inference_hosts
from inference.feature_rows import FeatureKey, NeuronText
from neuronpedia_site import timing
from neuronpedia_site.errors import ApiError
from neuronpedia_site.ids import new_id
from neuronpedia_site.models import INFERENCE_ACTIVATION_USER_ID, User
from neuronpedia_site.responses import RawJSON

log = logging.getLogger(__name__)
DENSITY_OFF = -1.0
# topk-by-token asks the worker for this many times the features it returns, so that features
# dropped by the density filter leave enough behind.
TOPK_OVERFETCH = 4


@dataclass
class SearchAll:
    """One `/api/search-all/` request, validated (`SearchAllRequest`)."""

    model_id: str
    source_set: str
    text: str | list[str]
    selected_layers: list[str] = field(default_factory=list)
    sort_indexes: list[int] = field(default_factory=list)
    ignore_bos: bool = True
    density_threshold: float = DENSITY_OFF
    num_results: int = 50

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> SearchAll:
        return cls(
            model_id=data["modelId"],
            source_set=data["sourceSet"],
            text=data["text"],
            selected_layers=list(data["selectedLayers"]),
            sort_indexes=list(data["sortIndexes"]),
            ignore_bos=data["ignoreBos"],
            density_threshold=float(data["densityThreshold"]),
            num_results=data["numResults"],
        )

    def worker_request(self, prompt: str) -> dict[str, Any]:
        """The worker's `SearchRequest` fields for one prompt."""
        return {
            "prompt": prompt,
            "source_set": self.source_set,
            "selected_sources": self.selected_layers,
            "sort_by_token_indexes": self.sort_indexes,
            "ignore_bos": self.ignore_bos,
            "num_results": self.num_results,
        }


def search_all(
    search: SearchAll,
    user: User | None,
    after_answer: Callable[[Callable[[], None]], None] | None = None,
) -> dict[str, Any]:
    """`{tokens, result: [...], sortIndexes}` for one text, `{results: [{tokens, result}]}` for a
    list of texts (no DB join, nothing saved).

    1. 404 unless the user may see the model. A single text asked before is answered from its
       SavedSearch, without a worker.
    2. 503 without a live worker; 404 for a source set or layer no worker serves, or a source
       the user may not see.
    3. The worker ranks; results with maxValue <= 0 (sumValues <= 0 when sorting by token
       indexes) are dropped, then features denser than `density_threshold`.
    4. Single text: join the DB features, save each result whose feature exists as an Activation
       (by the user, or the inferenceactivation bot), and when all of them could be saved, a
       SavedSearch with its ordered SavedSearchActivation rows. With
       `INFERENCE_BACKGROUND_SAVES` (the default) the rows are written after the answer is
       returned, by one background thread; `after_answer` receives the job that queues them
       (the view runs it once the response is sent, so the save does not compete with sending
       it), else it is queued at once.

    Everything the DB decides before the model runs (steps 1 and 2) is one query, and the join
    after it another: on a GPU worker the model answers in tens of milliseconds, so each round
    trip of the web side counts.
    """
    single = isinstance(search.text, str)
    with timing.part("hosts"):
        live = inference_hosts.find(search.model_id)
    wanted = search.selected_layers or (live.set_members(search.source_set) if live else [])
    with timing.part("gate"):
        gate = _gate(search, user, wanted, single)
    if gate.saved is not None:
        return _replay(search.model_id, gate.saved)
    live = live or inference_hosts.require(search.model_id)
    set_sources = live.sources_in_set(search.source_set)
    for layer in search.selected_layers:
        if layer not in set_sources:
            raise ApiError(f"Source not found: {layer}", status=404)
    if gate.hidden:
        raise ApiError(f"Source not found: {gate.hidden[0]}", status=404)
    texts = [search.text] if isinstance(search.text, str) else search.text
    with timing.part("worker"):
        answers = live.search([search.worker_request(text) for text in texts])
    if not single:
        kept = [_kept(search, answer["activations"]) for answer in answers]
        return {
            "results": [
                {"tokens": answer["tokens"], "result": [_result(search.model_id, a) for a in acts]}
                for answer, acts in zip(answers, kept, strict=True)
            ]
        }
    answer = answers[0]
    # one query for both the density filter and the join
    positive = _positive(search, answer["activations"])
    with timing.part("join"):
        joined = feature_rows.neuron_texts(search.model_id, map(_key, positive))
    acts = _not_dense(search, positive, joined)
    results = [_result(search.model_id, a, joined.get(_key(a))) for a in acts]
    saved_keys = {_key(a) for a in acts} & joined.keys()
    if settings.INFERENCE_BACKGROUND_SAVES:

        def queue_save() -> None:
            _saver.submit(_save_in_background, search, answer, acts, saved_keys, user)

        if after_answer is not None:
            after_answer(queue_save)
        else:
            queue_save()
    else:
        _save_search(search, answer, acts, saved_keys, user)
    return {"tokens": answer["tokens"], "result": results, "sortIndexes": search.sort_indexes}


def _key(activation: dict[str, Any]) -> FeatureKey:
    return (activation["source"], str(activation["index"]))


def _kept(search: SearchAll, activations: list[dict[str, Any]]) -> list[dict]:
    positive = _positive(search, activations)
    if search.density_threshold == DENSITY_OFF:
        return positive
    joined = feature_rows.neuron_texts(search.model_id, map(_key, positive), False)
    return _not_dense(search, positive, joined)


def _positive(search: SearchAll, activations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by = "sum_values" if search.sort_indexes else "max_value"
    return [a for a in activations if a[by] > 0]


def _not_dense(
    search: SearchAll, activations: list[dict[str, Any]], joined: dict[FeatureKey, NeuronText]
) -> list[dict[str, Any]]:
    """Drop features whose `frac_nonzero` is above the threshold (features without a row stay)."""
    if search.density_threshold == DENSITY_OFF:
        return activations
    return [
        a
        for a in activations
        if (n := joined.get(_key(a))) is None or n.frac_nonzero <= search.density_threshold
    ]


def _result(
    model_id: str, activation: dict[str, Any], neuron: RawJSON | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "modelId": model_id,
        "layer": activation["source"],
        "index": str(activation["index"]),
        "values": activation["values"],
        "maxValue": activation["max_value"],
        "maxValueIndex": activation["max_value_index"],
    }
    if neuron is not None:
        out["neuron"] = neuron  # Neuronpedia leaves it undefined (absent) when not in the DB
    return out


# -- before the model runs: visibility and the SavedSearch cache -------------------------------


@dataclass
class _Gate:
    saved: dict[str, Any] | None  # the cached answer's rows, when this search was saved before
    hidden: list[str]  # wanted sources the user may not see


def _gate(search: SearchAll, user: User | None, sources: list[str], single: bool) -> _Gate:
    """404 unless the user may see the model; else the saved answer of this search (single
    texts only) and the wanted sources that are private to someone else.

    Sources served by a worker but never imported have no row; they are open to everyone who
    may see the model (as `inference_hosts.check_visible`).
    """
    params = {
        "model_id": search.model_id,
        "query": search.text if single else None,
        "selected": search.selected_layers,
        "source_set": search.source_set,
        "sort": search.sort_indexes,
        "ignore_bos": search.ignore_bos,
        "num_results": search.num_results,
        "density": search.density_threshold,
        "sources": sources,
        **visibility_params(user),
    }
    row = prepared.fetch_one("np_search_gate", _gate_query(), params)
    if row is None:
        raise ApiError(inference_hosts.MODEL_NOT_FOUND, status=404)
    return _Gate(json.loads(row[0]) if row[0] is not None else None, row[1])


@functools.cache
def _gate_query() -> str:
    # One statement, prepared once per connection. The SavedSearch columns are its unique key.
    result = (
        'json_build_array(a."layer", a."index", a."values", a."maxValue", a."maxValueTokenIndex")'
    )
    saved = (
        "(SELECT json_build_object('tokens', ss.\"tokens\", 'sortIndexes', "
        f"ss.\"sortByIndexes\", 'result', COALESCE((SELECT json_agg({result} ORDER BY "
        f'r."order") FROM {table(SavedSearchActivation)} r JOIN {table(Activation)} a '
        'ON a."id" = r."activationId" WHERE r."savedSearchId" = ss."id"), \'[]\'::json)) '
        f'FROM {table(SavedSearch)} ss WHERE ss."modelId" = m."id" '
        'AND ss."query" = %(query)s AND ss."selectedLayers" = %(selected)s::text[] '
        'AND ss."sourceSet" = %(source_set)s AND ss."sortByIndexes" = %(sort)s::int[] '
        'AND ss."ignoreBos" = %(ignore_bos)s AND ss."numResults" = %(num_results)s '
        'AND ss."densityThreshold" = %(density)s::float8 LIMIT 1)::text'
    )
    return f"SELECT {saved}, {hidden_sources_sql('m')} {visible_model_sql('m')}"


def _replay(model_id: str, saved: dict[str, Any]) -> dict[str, Any]:
    """The answer of a saved search, joined with the features as they are now."""
    rows = saved["result"]
    joined = feature_rows.neuron_texts(model_id, ((layer, index) for layer, index, *_ in rows))
    results = [
        _result(
            model_id,
            {
                "source": layer,
                "index": index,
                "values": values,
                "max_value": max_value,
                "max_value_index": max_index,
            },
            joined.get((layer, index)),
        )
        for layer, index, values, max_value, max_index in rows
    ]
    return {"tokens": saved["tokens"], "result": results, "sortIndexes": saved["sortIndexes"]}


# -- after the answer: saving it ---------------------------------------------------------------


def _saved_search_fields(search: SearchAll) -> dict[str, Any]:
    return {
        "model_id": search.model_id,
        "query": search.text,
        "selected_layers": search.selected_layers,
        "source_set": search.source_set,
        "sort_by_indexes": search.sort_indexes,
        "ignore_bos": search.ignore_bos,
        "num_results": search.num_results,
        "density_threshold": search.density_threshold,
    }


# One thread per web process writes the saved searches in order; a search answered a moment
# before its rows land is simply computed again, and rows still queued when the process stops
# are lost (they are a cache and a history, not part of the answer).
_saver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="np-search-saves")


def _save_in_background(*args: Any) -> None:
    # This thread keeps its own connection from one save to the next, as request threads do
    # (CONN_MAX_AGE): opening one per save cost the database more than the save itself.
    connection.close_if_unusable_or_obsolete()
    try:
        _save_search(*args)
    except Exception:
        log.exception("could not save a search-all result")
        connection.close()  # it may be broken; the next save opens a fresh one


def wait_for_saves(timeout: float = 30) -> None:
    """Block until every save queued so far is written, and close the saving thread's database
    connection (tests, before their database is dropped, and orderly shutdowns)."""
    _saver.submit(lambda: connection.close()).result(timeout)  # that thread's connection


def _save_search(
    search: SearchAll,
    answer: dict[str, Any],
    activations: list[dict[str, Any]],
    with_rows: set[FeatureKey],
    user: User | None,
) -> None:
    """Save the results whose feature has a row (`with_rows`; the Activation table's foreign key
    needs one), and cache the search only when every result was saved, so the cache replays it
    whole.

    This runs in the web process beside the requests it serves, so it builds no model instance
    per row: the rows copy one template row (built the ORM's way) and differ from it in a few
    columns, and the SavedSearch with its links is one statement.
    """
    creator_id = user.id if user is not None else INFERENCE_ACTIVATION_USER_ID
    template = row_values(
        Activation(model_id=search.model_id, tokens=answer["tokens"], creator_id=creator_id)
    )
    rows = [
        {
            **template,
            "id": new_id(),
            "layer": a["source"],
            "index": str(a["index"]),
            "values": a["values"],
            "maxValue": a["max_value"],
            "maxValueTokenIndex": a["max_value_index"],
            "minValue": min(a["values"], default=0.0),
        }
        for a in activations
        if _key(a) in with_rows
    ]
    with transaction.atomic():
        insert_values(Activation, rows)
        if len(rows) != len(activations):
            return
        saved = SavedSearch(
            **_saved_search_fields(search),
            tokens=answer["tokens"],
            user=user,
            counts=json.dumps(answer.get("counts", [])),
        )
        # An identical search saved a moment before (another thread or process) keeps its row
        # (the unique key), and then nothing is linked.
        insert, params = insert_sql(
            SavedSearch, [row_values(saved)], 'ON CONFLICT DO NOTHING RETURNING "id"'
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH saved AS ({insert}) INSERT INTO {table(SavedSearchActivation)} "
                '("savedSearchId", "activationId", "order") SELECT saved."id", a.id, a.ord - 1 '
                "FROM saved, unnest(%s::text[]) WITH ORDINALITY AS a(id, ord)",
                [*params, [row["id"] for row in rows]],
            )


# -- /api/search-topk-by-token/ ----------------------------------------------------------------


@dataclass
class TopkByToken:
    """One `/api/search-topk-by-token/` request, validated (`TopkByTokenRequest`)."""

    model_id: str
    source: str
    text: str | list[str]
    num_results: int = 10
    ignore_bos: bool = True
    density_threshold: float = 0.01

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> TopkByToken:
        return cls(
            model_id=data["modelId"],
            source=data["source"],
            text=data["text"],
            num_results=data["numResults"],
            ignore_bos=data["ignoreBos"],
            density_threshold=float(data["densityThreshold"]),
        )


def search_topk_by_token(search: TopkByToken, user: User | None) -> dict[str, Any]:
    """`{source, results: [{position, token, isSpecial, topFeatures}]}` for one text;
    `{source, results: [{results, tokens}]}` for a list of texts.

    Each position lists up to `num_results` features that fire there (activation > 0), highest
    first, each with its DB feature (and explanations) when there is one. With `ignore_bos` the
    special-token positions are left out; features denser than `density_threshold` are dropped.
    """
    inference_hosts.check_visible(search.model_id, [search.source], user)
    live = inference_hosts.require(search.model_id)
    info = live.require_source(search.source)
    filtering = search.density_threshold != DENSITY_OFF
    top_k = search.num_results * (TOPK_OVERFETCH if filtering else 1)
    if info.get("d_sae"):
        top_k = min(top_k, int(info["d_sae"]))
    texts = [search.text] if isinstance(search.text, str) else search.text
    answers = live.call(
        task_names.TOPK_BY_TOKEN,
        prompts=texts,
        source=search.source,
        top_k=top_k,
        ignore_bos=search.ignore_bos,
    )["results"]
    keys = {
        (search.source, str(f["feature_index"]))
        for answer in answers
        for position in answer["results"]
        for f in position["top_features"]
    }
    neurons = feature_rows.neuron_texts(search.model_id, keys, with_activation=False)
    dense = (
        {k for k, n in neurons.items() if n.frac_nonzero > search.density_threshold}
        if filtering
        else set()
    )
    per_text = [_positions(search, answer["results"], neurons, dense) for answer in answers]
    if isinstance(search.text, str):
        return {"source": search.source, "results": per_text[0]}
    return {
        "source": search.source,
        "results": [
            {"results": positions, "tokens": answer["tokens"]}
            for positions, answer in zip(per_text, answers, strict=True)
        ],
    }


def _positions(
    search: TopkByToken,
    positions: list[dict[str, Any]],
    neurons: dict[FeatureKey, NeuronText],
    dense: set[FeatureKey],
) -> list[dict[str, Any]]:
    out = []
    for position in positions:
        if search.ignore_bos and position["is_special"]:
            continue
        top = []
        for feature in position["top_features"]:
            key = (search.source, str(feature["feature_index"]))
            if feature["activation_value"] <= 0 or key in dense:
                continue
            item: dict[str, Any] = {
                "activationValue": feature["activation_value"],
                "featureIndex": feature["feature_index"],
            }
            if key in neurons:
                item["feature"] = neurons[key]
            top.append(item)
            if len(top) == search.num_results:
                break
        out.append(
            {
                "position": position["token_position"],
                "token": position["token"],
                "isSpecial": position["is_special"],
                "topFeatures": top,
            }
        )
    return out
