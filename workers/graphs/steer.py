"""`steer_logits`: generation with and without interventions on transcoder features (upstream's
`/steer`, which the graph page's "steer" panel calls).

Each feature is set, at its position (or at every generated token), to 0 (`ablate`) or to its
activation at `token_active_position` plus `delta`, through circuit-tracer's
`feature_intervention_generate`; attention patterns are frozen for the first generated token when
`freeze_attention` is set. Features at the leading special token are dropped, as upstream drops
unsteerable positions (circuit-tracer zeroes that position's features anyway).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from workers.errors import BadRequest
from workers.graphs.prompts import graph_prompt, unsteerable_positions
from workers.graphs.replacement import GraphModel


@dataclass(frozen=True)
class SteerFeature:
    layer: int
    index: int
    token_active_position: int
    steer_position: int | None = None
    steer_generated_tokens: bool = False
    ablate: bool = False
    delta: float | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SteerFeature:
        try:
            feature = cls(
                layer=int(data["layer"]),
                index=int(data["index"]),
                token_active_position=int(data["token_active_position"]),
                steer_position=(
                    None if data.get("steer_position") is None else int(data["steer_position"])
                ),
                steer_generated_tokens=bool(data.get("steer_generated_tokens", False)),
                ablate=bool(data.get("ablate", False)),
                delta=None if data.get("delta") is None else float(data["delta"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadRequest(f"Invalid steer feature: {data!r}") from exc
        # Upstream's messages, word for word.
        if feature.ablate and feature.delta is not None:
            raise BadRequest("When ablate is True, delta must be None")
        if not feature.ablate and feature.delta is None:
            raise BadRequest("When ablate is False, delta must be provided")
        if feature.steer_generated_tokens and feature.steer_position is not None:
            raise BadRequest("When steer_generated_tokens is True, position must be None")
        if not feature.steer_generated_tokens and feature.steer_position is None:
            raise BadRequest("When steer_generated_tokens is False, position must be provided")
        return feature


@dataclass(frozen=True)
class SteerSettings:
    n_tokens: int = 10
    top_k: int = 5
    temperature: float = 0.0
    freq_penalty: float = 0.0
    seed: int | None = None
    freeze_attention: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.n_tokens <= 256 or not 1 <= self.top_k <= 100:
            raise BadRequest("n_tokens must be 1-256 and top_k 1-100")
        if self.temperature < 0:
            raise BadRequest("temperature must not be negative")


def _check_feature(graph_model: GraphModel, feature: SteerFeature, n_pos: int) -> None:
    if feature.layer not in graph_model.sources:
        raise BadRequest(f"No transcoder at layer {feature.layer}")
    if not 0 <= feature.index < graph_model.model.transcoders.d_transcoder:
        raise BadRequest(f"Feature index out of range: {feature.index}")
    if not 0 <= feature.token_active_position < n_pos:
        raise BadRequest("token_active_position is out of bounds")
    if feature.steer_position is not None and not 0 <= feature.steer_position < n_pos:
        raise BadRequest("Position is out of bounds")


def interventions(
    graph_model: GraphModel, ids: list[int], features: Sequence[SteerFeature]
) -> list[tuple[int, Any, int, Any]]:
    """circuit-tracer's `(layer, position, feature, value)` tuples for `features`."""
    import torch

    n_pos = len(ids)
    for feature in features:
        _check_feature(graph_model, feature, n_pos)
    model = graph_model.model
    _, activations = model.get_activations(torch.tensor([ids], device=model.cfg.device))
    skipped = set(unsteerable_positions(ids))
    out: list[tuple[int, Any, int, Any]] = []
    for f in features:
        if f.steer_position in skipped:
            continue
        value: Any = 0.0
        if not f.ablate:
            assert f.delta is not None
            value = activations[f.layer, f.token_active_position, f.index] + f.delta
        position: Any = slice(n_pos, None) if f.steer_generated_tokens else f.steer_position
        out.append((f.layer, position, f.index, value))
    return out


def _top_logits(tokenizer: Any, logits: Any, k: int) -> list[dict[str, Any]]:
    import torch

    probs = torch.softmax(logits.float(), dim=-1)
    top = torch.topk(probs, k)
    return [
        {"token": tokenizer.decode([int(i)]), "prob": float(p)}
        for p, i in zip(top.values.tolist(), top.indices.tolist(), strict=True)
    ]


def _by_token(
    tokenizer: Any, tokens: list[int], logits: Any, n_prompt: int, k: int, offset: int
) -> list[dict[str, Any]]:
    """Upstream's `*_LOGITS_BY_TOKEN`: one entry per token, top logits from the last prompt
    token on (`logits[i - offset]` predicts the token after token i)."""
    out = []
    for i, token in enumerate(tokens):
        text = tokenizer.decode([token])
        row = i - offset
        if i < n_prompt - 1 or row >= logits.shape[0]:
            out.append({"token": text, "top_logits": []})
        else:
            out.append({"token": text, "top_logits": _top_logits(tokenizer, logits[row], k)})
    return out


def _text_of(tokenizer: Any, ids: list[int], text: str) -> str:
    """The prompt text with its leading special token written out, checked to give `ids`."""
    lead = tokenizer.convert_ids_to_tokens(ids[0])
    full = text if text.startswith(lead) else lead + text
    if tokenizer(full, add_special_tokens=False)["input_ids"] != ids:
        raise BadRequest("This prompt does not tokenize the same way twice; cannot steer it")
    return str(full)


@contextlib.contextmanager
def _no_default_bos(model: Any) -> Iterator[None]:
    previous = model.cfg.default_prepend_bos
    model.cfg.default_prepend_bos = False
    try:
        yield
    finally:
        model.cfg.default_prepend_bos = previous


def steer_logits(
    graph_model: GraphModel,
    prompt: str | None,
    messages: Sequence[dict[str, Any]] | None,
    features: Sequence[dict[str, Any]],
    settings: SteerSettings,
) -> dict[str, Any]:
    """`{DEFAULT_GENERATION, STEERED_GENERATION, DEFAULT_LOGITS_BY_TOKEN,
    STEERED_LOGITS_BY_TOKEN}` for the prompt with and without the features' interventions."""
    import torch

    parsed = [SteerFeature.from_dict(f) for f in features]
    model = graph_model.model
    tokenizer = graph_model.tokenizer
    prepared = graph_prompt(tokenizer, prompt, messages, limit=model.cfg.n_ctx - 1)
    n_prompt = len(prepared.ids)
    n_tokens = min(settings.n_tokens, model.cfg.n_ctx - n_prompt - 1)
    if n_tokens < 1:
        raise BadRequest("The prompt leaves no room to generate")
    input_ids = torch.tensor([prepared.ids], device=model.cfg.device)
    generation = {
        "do_sample": True,
        "verbose": False,
        "stop_at_eos": True,
        "temperature": settings.temperature,
        "freq_penalty": settings.freq_penalty,
        "return_type": "tokens",
    }
    text = _text_of(tokenizer, prepared.ids, prepared.text)
    with graph_model.lock, _no_default_bos(model):
        steering = interventions(graph_model, prepared.ids, parsed)
        if settings.seed is not None:
            torch.manual_seed(settings.seed)
        default = model.generate(
            input_ids, use_past_kv_cache=False, max_new_tokens=n_tokens, **generation
        )[0]
        if settings.seed is not None:
            torch.manual_seed(settings.seed)
        # A string: circuit-tracer counts its positions with the tokenizer and takes tensors as
        # 1-D, which `generate` refuses; the text starts with its special token and the model
        # prepends none (`_no_default_bos`), so every part sees the ids of `prepared`.
        steered, steered_logits, _ = model.feature_intervention_generate(
            text,
            steering,
            freeze_attention=settings.freeze_attention,
            max_new_tokens=n_tokens,
            return_activations=False,
            **generation,
        )
        with torch.inference_mode():
            default_logits = model(default.unsqueeze(0))[0]
    steered = steered[0] if steered.dim() == 2 else steered
    default_ids = [int(t) for t in default.tolist()]
    steered_ids = [int(t) for t in steered.tolist()]
    return {
        "DEFAULT_GENERATION": "".join(tokenizer.decode([t]) for t in default_ids),
        "STEERED_GENERATION": "".join(tokenizer.decode([t]) for t in steered_ids),
        "DEFAULT_LOGITS_BY_TOKEN": _by_token(
            tokenizer, default_ids, default_logits, n_prompt, settings.top_k, offset=0
        ),
        "STEERED_LOGITS_BY_TOKEN": _by_token(
            tokenizer, steered_ids, steered_logits, n_prompt, settings.top_k, offset=n_prompt - 1
        ),
    }
