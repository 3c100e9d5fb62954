"""Activation queries against a ServedModel, with the Neuronpedia inference server's semantics.

Every function takes the `ServedModel` first and returns plain dicts, lists and Python floats in
the snake_case wire shape of the Neuronpedia inference API (PRE `inference-server.yaml`), so a
Celery task can return them as JSON. Errors are `workers.errors.InferenceError` subclasses whose
`status_code` the web side maps to its response.

Prompts of one call (and the independent requests of `activations_all_many`) run as one
right-padded forward pass. Attention is causal, so a real token never sees the padding after it;
each row is sliced back to its own length, which gives the same values as one pass per prompt up to
float rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from neuronpedia_format.sources import layer_of
from workers import sources
from workers.errors import BadRequest, InferenceError, TokenLimitExceeded, UnknownFeature
from workers.runtime import ServedModel

if TYPE_CHECKING:
    import torch
    from jaxtyping import Float

# /activation/source accepts up to 4 prompts; several prompts share the token limit (PRE).
SOURCE_BATCH_SIZE = 4
SOURCE_ROUND_DECIMALS = 3


# -- tokens ------------------------------------------------------------------------------------


def tokenize(served: ServedModel, text: str, prepend_bos: bool | None = None) -> dict[str, Any]:
    """`{tokens: [int], token_strings: [str], prepend_bos}`; `prepend_bos` None = model default."""
    if prepend_bos is None:
        prepend_bos = bool(served.model.cfg.default_prepend_bos)
    ids = encode_text(served, text, prepend_bos=prepend_bos)
    return {"tokens": ids, "token_strings": _str_tokens(served, ids), "prepend_bos": prepend_bos}


def with_bos_text(served: ServedModel, prompt: str) -> str:
    """Prepend the BOS token's text unless the prompt already starts with it (as the inference
    server does before tokenizing).

    Only for models that use BOS: prepending it to a model trained without one would change every
    activation for no benefit.
    """
    bos = served.tokenizer.bos_token
    if served.uses_bos and not prompt.startswith(bos):
        return bos + prompt
    return prompt


def encode_text(served: ServedModel, text: str, prepend_bos: bool) -> list[int]:
    """Token ids of `text`, never truncated (callers check the limit themselves)."""
    tokens = served.model.to_tokens(text, prepend_bos=prepend_bos, truncate=False)
    return [int(t) for t in tokens[0].tolist()]


def _str_tokens(served: ServedModel, ids: Sequence[int]) -> list[str]:
    import torch

    if not ids:
        return []
    return list(served.model.to_str_tokens(torch.tensor(list(ids), dtype=torch.long)))


def _token_limit(served: ServedModel, limit: int | None = None) -> int:
    limit = served.config.token_limit if limit is None else limit
    # Absolute position embeddings stop at n_ctx; longer prompts would crash inside the model.
    if served.model.cfg.positional_embedding_type in ("standard", "shortformer"):
        limit = min(limit, int(served.model.cfg.n_ctx))
    return limit


def _check_limit(served: ServedModel, ids: Sequence[int], limit: int | None = None) -> None:
    limit = _token_limit(served, limit)
    if len(ids) > limit:
        raise TokenLimitExceeded(len(ids), limit)
    if not ids:
        raise BadRequest("Prompt is empty")


def _special_ids(served: ServedModel) -> set[int]:
    return set(served.tokenizer.all_special_ids)


# -- forward pass and encoding -----------------------------------------------------------------


def run_hooks(
    served: ServedModel, rows: Sequence[Sequence[int]], hooks: set[str]
) -> dict[str, torch.Tensor]:
    """Hook activations `[batch, max_len, ...]` for right-padded token rows, in one pass.

    The pass stops after the last block any hook needs. The attention mask is all ones on purpose:
    with a mask TransformerLens would derive positions from it, and without one it would guess
    padding from pad-token ids (which are often the BOS id).
    """
    import torch

    model = served.model
    for hook in hooks:
        if hook not in model.hook_dict:
            raise BadRequest(f"Unknown hook: {hook}")
    pad = served.tokenizer.pad_token_id
    pad = served.tokenizer.eos_token_id if pad is None else pad
    width = max(len(r) for r in rows)
    tokens = torch.full((len(rows), width), int(pad or 0), dtype=torch.long)
    for i, row in enumerate(rows):
        tokens[i, : len(row)] = torch.tensor(list(row), dtype=torch.long)
    tokens = tokens.to(model.cfg.device)
    with torch.no_grad():
        _, cache = model.run_with_cache(
            tokens,
            names_filter=sorted(hooks),
            stop_at_layer=_stop_layer(served, hooks),
            attention_mask=torch.ones_like(tokens),
            return_cache_object=False,
        )
    return cache


def _stop_layer(served: ServedModel, hooks: set[str]) -> int | None:
    layers = [layer for h in hooks if (layer := sources.hook_layer(h)) is not None]
    if len(layers) < len(hooks):
        return None  # e.g. ln_final hooks: run the whole model
    # Stopping after the last block still skips ln_final and the unembedding, which search
    # never needs (a third of the forward pass on a 2-layer model).
    stop = max(layers) + 1
    return stop if stop <= served.model.cfg.n_layers else None


def encode(
    served: ServedModel,
    source: str,
    acts: Float[torch.Tensor, "... d_in"],  # noqa: F722 (jaxtyping shape)
) -> Float[torch.Tensor, "... d_sae"]:  # noqa: F722
    """Feature activations of `source` (raw hook values for MLP-neuron sources), float32."""
    import torch

    with torch.no_grad():
        if served.is_neurons(source):
            return acts.float().clone()  # callers edit the result in place
        sae = served.get_sae(source)
        return sae.encode(acts.to(device=sae.W_dec.device, dtype=sae.W_dec.dtype)).float()


def check_feature_index(served: ServedModel, source: str, index: int) -> int:
    """`index` as an int, or UnknownFeature (404) when `source` has no such feature."""
    index = int(index)
    d_sae = served.d_sae(source)
    if not 0 <= index < d_sae:
        raise UnknownFeature(f"Feature {index} not found in source {source} (d_sae {d_sae})")
    return index


def _max(values: list[float]) -> tuple[float, int]:
    if not values:
        return 0.0, 0
    best = max(values)
    return best, values.index(best)


# -- /activation/single ------------------------------------------------------------------------


def activation_single(served: ServedModel, prompt: str, source: str, index: int) -> dict[str, Any]:
    """`{activation: {values, max_value, max_value_index}, tokens, tokens_is_special}` for one
    SAE feature.

    As the PRE server: BOS positions are zeroed, and when the prompt starts with BOS its value and
    token are dropped, so `values` and `tokens` line up with the user's text.
    """
    return activation_single_batch(served, [prompt], source, index)["results"][0]


def activation_single_batch(
    served: ServedModel, prompts: Sequence[str], source: str, index: int
) -> dict[str, Any]:
    """`{results: [{activation, tokens}]}`, one forward pass for all prompts."""
    with served.lock:
        index = check_feature_index(served, source, index)
        hook = served.hook_name(source)
        prepend_bos = served.uses_bos or bool(_sae_prepends_bos(served, source))
        rows = [encode_text(served, p, prepend_bos=prepend_bos) for p in prompts]
        for row in rows:
            _check_limit(served, row)
        cache = run_hooks(served, rows, {hook})
        feats = encode(served, source, cache[hook])[..., index]  # [batch, pos]
        bos_id = served.tokenizer.bos_token_id
        special = _special_ids(served)
        results = []
        for i, row in enumerate(rows):
            values = feats[i, : len(row)].tolist()
            tokens = _str_tokens(served, row)
            is_special = [t in special for t in row]
            if bos_id is not None:
                values = [0.0 if t == bos_id else v for t, v in zip(row, values, strict=True)]
                if row[0] == bos_id:
                    values, tokens, is_special = values[1:], tokens[1:], is_special[1:]
            best, best_index = _max(values)
            results.append(
                {
                    "activation": {
                        "values": values,
                        "max_value": best,
                        "max_value_index": best_index,
                    },
                    "tokens": tokens,
                    "tokens_is_special": is_special,
                }
            )
        return {"results": results}


def _sae_prepends_bos(served: ServedModel, source: str) -> bool:
    if served.is_neurons(source):
        return False
    return bool(served.get_sae(source).cfg.metadata.prepend_bos)


def activation_vector(
    served: ServedModel, prompt: str, vector: Sequence[float], hook: str
) -> dict[str, Any]:
    """`{activation: {values, max_value, max_value_index}, tokens}` where values = resid[hook]·v.

    The raw dot product, not normalised, and no BOS handling (PRE does none for vectors).
    """
    return activation_vector_batch(served, [prompt], vector, hook)["results"][0]


def activation_vector_batch(
    served: ServedModel, prompts: Sequence[str], vector: Sequence[float], hook: str
) -> dict[str, Any]:
    """`{results: [{activation, tokens}]}` for a raw vector at `hook`."""
    with served.lock:
        rows = [encode_text(served, p, prepend_bos=served.uses_bos) for p in prompts]
        for row in rows:
            _check_limit(served, row)
        cache = run_hooks(served, rows, {hook})
        acts = cache[hook].float()
        acts = acts.reshape(*acts.shape[:2], -1)  # attn.hook_z is [b, pos, heads, d_head]
        vec = _as_vector(vector, acts.shape[-1], acts.device)
        dots = acts @ vec
        special = _special_ids(served)
        results = []
        for i, row in enumerate(rows):
            values = dots[i, : len(row)].tolist()
            best, best_index = _max(values)
            results.append(
                {
                    "activation": {
                        "values": values,
                        "max_value": best,
                        "max_value_index": best_index,
                    },
                    "tokens": _str_tokens(served, row),
                    "tokens_is_special": [t in special for t in row],
                }
            )
        return {"results": results}


def _as_vector(vector: Sequence[float], size: int, device: Any) -> torch.Tensor:
    import torch

    vec = torch.as_tensor(list(vector), dtype=torch.float32, device=device)
    if vec.ndim != 1 or vec.numel() != size:
        raise BadRequest(f"Vector has {vec.numel()} values, the hook has {size}")
    if not torch.isfinite(vec).all():
        raise BadRequest("Vector has non-finite values")
    return vec


# -- /activation/all ---------------------------------------------------------------------------


@dataclass
class SearchRequest:
    """One search-all request (`/activation/all`), as its PRE field names."""

    prompt: str
    source_set: str
    selected_sources: Sequence[str] = ()
    sort_by_token_indexes: Sequence[int] = ()
    ignore_bos: bool = True
    feature_filter: Sequence[int] | None = None
    num_results: int = 25


@dataclass
class _SearchPlan:
    request: SearchRequest
    ids: list[int]
    tokens: list[str]
    sources: list[str]
    set_sources: list[str]


def activations_all(
    served: ServedModel,
    prompt: str,
    source_set: str,
    selected_sources: Sequence[str] = (),
    sort_by_token_indexes: Sequence[int] = (),
    ignore_bos: bool = True,
    feature_filter: Sequence[int] | None = None,
    num_results: int = 25,
) -> dict[str, Any]:
    """Top features over all selected sources: `{activations: [...], tokens, counts}`.

    Each activation is `{source, index, values, sum_values, max_value, max_value_index}`; see
    `activations_all_many` for the ranking steps.
    """
    request = SearchRequest(
        prompt,
        source_set,
        selected_sources,
        sort_by_token_indexes,
        ignore_bos,
        feature_filter,
        num_results,
    )
    result = activations_all_many(served, [request])[0]
    if isinstance(result, InferenceError):
        raise result
    return result


def activations_all_batch(
    served: ServedModel,
    prompts: Sequence[str],
    source_set: str,
    selected_sources: Sequence[str] = (),
    sort_by_token_indexes: Sequence[int] = (),
    ignore_bos: bool = True,
    feature_filter: Sequence[int] | None = None,
    num_results: int = 25,
) -> dict[str, Any]:
    """`{results: [{activations, tokens, counts}]}`; the first failing prompt fails the call."""
    requests = [
        SearchRequest(
            p,
            source_set,
            selected_sources,
            sort_by_token_indexes,
            ignore_bos,
            feature_filter,
            num_results,
        )
        for p in prompts
    ]
    results = activations_all_many(served, requests)
    for result in results:
        if isinstance(result, InferenceError):
            raise result
    return {"results": results}


def activations_all_many(
    served: ServedModel, requests: Sequence[SearchRequest | dict[str, Any]]
) -> list[dict[str, Any] | InferenceError]:
    """Answer independent search-all requests with one padded forward pass.

    Returns one item per request, in order: the result dict, or the `InferenceError` that request
    raised (a bad request never fails the others). Per request, the Neuronpedia steps:

    1. Prepend the BOS text if missing; tokenize without adding BOS; reject over the token limit.
    2. Run the model with a cache, stopping after the deepest hook needed; encode each source.
    3. With `feature_filter` (one source only), zero every other feature.
    4. With `ignore_bos` on a BOS model, zero token 0, so BOS-only features drop out.
    5. Per feature: max and argmax over tokens; `sum_values` = sum at the sort indexes (else 0).
    6. Sort all sources' features by `sum_values` when sort indexes are given, else by
       `max_value`, descending (stable: ties keep source order, then feature index); keep
       `num_results`. Each source is cut to its own top `num_results` first, which gives the same
       result as one global sort and keeps memory at num_results rows per source.
    7. `source` is the source id, `{layer}-{source_set}` (PRE rebuilt it from layer and set,
       which dropped a `__` suffix; the id itself is the same otherwise and never ambiguous).
    8. `counts[layer][token]` = features > 0 after steps 3-4, one row per layer up to the set's
       deepest layer.
    """
    with served.lock:
        plans: list[_SearchPlan | InferenceError] = []
        for request in requests:
            req = request if isinstance(request, SearchRequest) else SearchRequest(**request)
            try:
                plans.append(_plan_search(served, req))
            except InferenceError as error:
                plans.append(error)
        live = [p for p in plans if isinstance(p, _SearchPlan)]
        if not live:
            return [p for p in plans if isinstance(p, InferenceError)]
        hooks = {served.hook_name(s) for p in live for s in p.sources}
        cache = run_hooks(served, [p.ids for p in live], hooks)
        ranked = _rank_all(served, live, cache)
        answers = iter(ranked)
        return [next(answers) if isinstance(p, _SearchPlan) else p for p in plans]


def _plan_search(served: ServedModel, req: SearchRequest) -> _SearchPlan:
    set_sources = served.sources_in_set(req.source_set)
    selected = list(req.selected_sources) or set_sources
    for source in selected:
        if source not in set_sources:
            raise BadRequest(f"Source {source} is not in source set {req.source_set}")
    if req.feature_filter and len(selected) != 1:
        raise BadRequest("Feature filter can only be used with a single layer")
    if req.feature_filter:
        for index in req.feature_filter:
            check_feature_index(served, selected[0], index)
    if int(req.num_results) < 1:
        raise BadRequest("num_results must be at least 1")
    ids = encode_text(served, with_bos_text(served, req.prompt), prepend_bos=False)
    _check_limit(served, ids)
    for index in req.sort_by_token_indexes:
        if not 0 <= int(index) < len(ids):
            raise BadRequest(
                f"Sort by token index {index} is out of range for the given prompt, "
                f"which only has {len(ids)} tokens."
            )
    return _SearchPlan(req, ids, _str_tokens(served, ids), selected, set_sources)


def _rank_all(
    served: ServedModel, plans: list[_SearchPlan], cache: dict[str, torch.Tensor]
) -> list[dict[str, Any]]:
    """Steps 3-8 for every plan; each source is encoded and ranked once for all its rows."""
    import torch

    rows_by_source: dict[str, list[int]] = {}
    for row, plan in enumerate(plans):
        for source in plan.sources:
            rows_by_source.setdefault(source, []).append(row)
    # Per plan: (position in its selection, source, top-candidate columns); per-layer counts.
    candidates: list[list[tuple[int, str, dict[str, torch.Tensor]]]] = [[] for _ in plans]
    counts: list[dict[int, list[int]]] = [{} for _ in plans]
    for source, rows in rows_by_source.items():
        feats = encode(served, source, cache[served.hook_name(source)][rows])
        tops, active = _rank_source([plans[r] for r in rows], feats, served.uses_bos)
        layer = layer_of(source)
        for row, top, row_active in zip(rows, tops, active, strict=True):
            candidates[row].append((plans[row].sources.index(source), source, top))
            counts[row][layer] = row_active

    results = []
    for plan, cands, layer_counts in zip(plans, candidates, counts, strict=True):
        cands.sort(key=lambda c: c[0])  # selection order, so stable ties follow it
        key = torch.cat([c[2]["key"] for c in cands])
        order = torch.sort(key, descending=True, stable=True).indices[: plan.request.num_results]
        columns = {
            name: torch.cat([c[2][name] for c in cands])[order].tolist()
            for name in ("index", "max_value", "max_value_index", "sum_values", "values")
        }
        source_of = [src for _, src, top in cands for _ in range(len(top["key"]))]
        activations = [
            {
                "source": source_of[pos],
                "index": int(columns["index"][i]),
                "values": columns["values"][i],
                "sum_values": float(columns["sum_values"][i]),
                "max_value": float(columns["max_value"][i]),
                "max_value_index": int(columns["max_value_index"][i]),
            }
            for i, pos in enumerate(order.tolist())
        ]
        n_layers = max(layer_of(s) for s in plan.set_sources) + 1
        table = [[0] * len(plan.ids) for _ in range(n_layers)]
        for layer, layer_active in layer_counts.items():
            table[layer] = layer_active
        results.append({"activations": activations, "tokens": plan.tokens, "counts": table})
    return results


def _rank_source(
    plans: list[_SearchPlan],
    feats: Float[torch.Tensor, "rows pos d_sae"],  # noqa: F722 (jaxtyping shape)
    uses_bos: bool,
) -> tuple[list[dict[str, torch.Tensor]], list[list[int]]]:
    """Steps 3-5 for one source over all rows that selected it, each cut to its top
    `num_results` candidates; also each row's count of active features per token.

    Works on the padded batch at once (a handful of kernels per source, not per row): padding is
    set to -inf so it never wins the max, and the per-row options become masks.
    """
    import torch

    lengths = [len(plan.ids) for plan in plans]
    for row, plan in enumerate(plans):
        req = plan.request
        if req.feature_filter:
            keep = torch.zeros(feats.shape[-1], dtype=feats.dtype, device=feats.device)
            keep[torch.as_tensor(list(req.feature_filter), device=feats.device)] = 1
            feats[row] *= keep
        if req.ignore_bos and uses_bos:
            feats[row, 0] = 0
    active = (feats > 0).sum(dim=2).tolist()  # [rows, pos]; padding is cut off below
    for row, length in enumerate(lengths):
        feats[row, length:] = -math.inf
    max_values, max_indices = feats.max(dim=1)  # [rows, d_sae]
    sum_values = torch.zeros_like(max_values)
    key = max_values.clone()
    for row, plan in enumerate(plans):
        if plan.request.sort_by_token_indexes:
            idx = torch.as_tensor(list(plan.request.sort_by_token_indexes), device=feats.device)
            sum_values[row] = feats[row, idx].sum(dim=0)
            key[row] = sum_values[row]
    width = max(plan.request.num_results for plan in plans)
    order = torch.sort(key, dim=1, descending=True, stable=True).indices[:, :width]
    tops = []
    for row, plan in enumerate(plans):
        top = order[row, : plan.request.num_results]
        tops.append(
            {
                "key": key[row, top],
                "index": top,
                "max_value": max_values[row, top],
                "max_value_index": max_indices[row, top],
                "sum_values": sum_values[row, top],
                "values": feats[row, : lengths[row], top].T,
            }
        )
    return tops, [row_active[:length] for row_active, length in zip(active, lengths, strict=True)]


# -- /activation/topk-by-token -----------------------------------------------------------------


def topk_by_token(
    served: ServedModel, prompt: str, source: str, top_k: int = 5, ignore_bos: bool = True
) -> dict[str, Any]:
    """`{results: [{token_position, token, is_special, top_features: [{feature_index,
    activation_value}]}], tokens}`; with `ignore_bos` position 0 is dropped and positions
    renumbered from 0 (PRE)."""
    return topk_by_token_batch(served, [prompt], source, top_k, ignore_bos)["results"][0]


def topk_by_token_batch(
    served: ServedModel,
    prompts: Sequence[str],
    source: str,
    top_k: int = 5,
    ignore_bos: bool = True,
) -> dict[str, Any]:
    """`{results: [{results, tokens}]}`, one forward pass for all prompts."""
    import torch

    with served.lock:
        hook = served.hook_name(source)
        if int(top_k) < 1:
            raise BadRequest("top_k must be at least 1")
        k = min(int(top_k), served.d_sae(source))
        rows = [encode_text(served, with_bos_text(served, p), prepend_bos=False) for p in prompts]
        for row in rows:
            _check_limit(served, row)
        feats = encode(served, source, run_hooks(served, rows, {hook})[hook])
        special = _special_ids(served)
        results = []
        for i, row in enumerate(rows):
            top = torch.topk(feats[i, : len(row)], k=k, dim=-1)
            values, indices = top.values.tolist(), top.indices.tolist()
            tokens = _str_tokens(served, row)
            is_special = [t in special for t in row]
            start = 1 if ignore_bos and served.uses_bos else 0
            per_token = [
                {
                    "token_position": pos - start,
                    "token": tokens[pos],
                    "is_special": is_special[pos],
                    "top_features": [
                        {"feature_index": int(f), "activation_value": float(v)}
                        for f, v in zip(indices[pos], values[pos], strict=True)
                    ],
                }
                for pos in range(start, len(row))
            ]
            results.append({"results": per_token, "tokens": tokens[start:]})
        return {"results": results}


# -- /activation/source ------------------------------------------------------------------------


def source_activations(served: ServedModel, prompts: Sequence[str], source: str) -> dict[str, Any]:
    """`{results: [{tokens, activeFeatures: {"idx": [[token_index, value], ...]}}]}`.

    Non-zero activations only, BOS position skipped, values rounded to 3 decimals; with several
    prompts (at most 4) each gets a quarter of the token limit (PRE).
    """
    with served.lock:
        if not prompts or len(prompts) > SOURCE_BATCH_SIZE:
            raise BadRequest(f"Send between 1 and {SOURCE_BATCH_SIZE} prompts")
        hook = served.hook_name(source)
        limit = served.config.token_limit
        if len(prompts) > 1:
            limit //= SOURCE_BATCH_SIZE
        rows = [encode_text(served, with_bos_text(served, p), prepend_bos=False) for p in prompts]
        for row in rows:
            _check_limit(served, row, limit)
        feats = encode(served, source, run_hooks(served, rows, {hook})[hook])
        skip = 1 if served.uses_bos else 0
        results = []
        for i, row in enumerate(rows):
            acts = feats[i, : len(row)]
            nonzero = acts.nonzero().tolist()  # [[token, feature]], sorted by token then feature
            values = acts[acts != 0].tolist()
            active: dict[str, list[list[float]]] = {}
            for (token_index, feature), value in sorted(
                zip(nonzero, values, strict=True), key=lambda item: (item[0][1], item[0][0])
            ):
                if token_index < skip:
                    continue
                active.setdefault(str(feature), []).append(
                    [token_index, round(float(value), SOURCE_ROUND_DECIMALS)]
                )
            results.append({"tokens": _str_tokens(served, row), "activeFeatures": active})
        return {"results": results}


# -- /util/sae-topk-by-decoder-cossim and /util/sae-vector -------------------------------------


def decoder_cossim_topk(
    served: ServedModel,
    source: str,
    num_results: int = 10,
    feature_index: int | None = None,
    vector: Sequence[float] | None = None,
    target_source: str | None = None,
) -> dict[str, Any]:
    """Features of `target_source` (default `source`) whose decoder rows are closest in cosine to
    W_dec[feature_index] of `source`, or to `vector`.

    Returns `{feature?: {model, source, index},
    topk_decoder_cossim_features: [{feature, cosine_similarity}]}`; the query feature itself
    is included (cosine 1). Rows with NaN weights rank last (-inf); a NaN similarity reads 0.
    """
    import torch

    if (feature_index is None) == (vector is None):
        raise BadRequest("Invalid request data: exactly one of feature or vector must be provided")
    with served.lock:
        target = target_source or source
        w_dec = decoder_weights(served, target).float()
        if feature_index is not None:
            index = check_feature_index(served, source, feature_index)
            query = decoder_weights(served, source)[index].float()
            if query.numel() != w_dec.shape[1]:
                raise BadRequest(f"Sources {source} and {target} have different widths")
        else:
            query = _as_vector(vector or [], w_dec.shape[1], w_dec.device)
        valid = ~torch.isnan(w_dec).any(dim=1)
        sims = torch.full((w_dec.shape[0],), -math.inf, device=w_dec.device)
        sims[valid] = torch.nn.functional.cosine_similarity(query[None, :], w_dec[valid], dim=1)
        k = max(1, min(int(num_results), w_dec.shape[0]))
        values, indices = torch.topk(sims, k=k)
        model_id = served.config.neuronpedia_model_id
        top = [
            {
                "feature": {"model": model_id, "source": target, "index": int(i)},
                "cosine_similarity": 0.0 if math.isnan(v) else float(v),
            }
            for v, i in zip(values.tolist(), indices.tolist(), strict=True)
        ]
        result: dict[str, Any] = {"topk_decoder_cossim_features": top}
        if feature_index is not None:
            result["feature"] = {"model": model_id, "source": source, "index": int(feature_index)}
        return result


def decoder_weights(served: ServedModel, source: str) -> torch.Tensor:
    """`W_dec` `[d_sae, d_in]` of a source's SAE; 400 for MLP-neuron sources, which have none."""
    if served.is_neurons(source):
        raise BadRequest(f"Source {source} is an MLP-neuron source and has no decoder")
    return served.get_sae(source).W_dec.detach()


def feature_vector(served: ServedModel, source: str, index: int) -> dict[str, Any]:
    """`{vector: [float], hookName}`: the steering direction of one feature.

    PRE returned `W_enc[:, index]` (the encoder column, a detection direction). We return
    `W_dec[index]`, the direction the feature writes and the one steering adds, so a vector
    exported here steers like the feature itself; for tied or near-tied SAEs the two agree.
    """
    with served.lock:
        index = check_feature_index(served, source, index)
        vector = decoder_weights(served, source)[index].float().tolist()
        return {"vector": vector, "hookName": served.hook_name(source)}
