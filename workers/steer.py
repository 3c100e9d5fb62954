"""Steered text generation, with the Neuronpedia inference server's semantics.

A steering request names SAE features (steered along `W_dec[index]` at the SAE's hook) or raw
vectors (at a given hook), each with a strength; `coeff = strength_multiplier * strength`.
SIMPLE_ADDITIVE adds `coeff * v` at every position, prompt and generated tokens alike.
ORTHOGONAL_DECOMP keeps the part of the activation orthogonal to v and scales the part along it:
`h <- (I - P) h + coeff * P h`, `P = v v^T / |v|^2`.

STEERED and DEFAULT run together as one batch (row 0 steered when both are asked for): the hooks
scale every edit by a per-row, per-position mask, which is 0 on the DEFAULT row and, with
`steer_special_tokens=False`, on special-token positions. Sampling uses one generator per row,
seeded with the request's seed (see `workers.generation.generate`), so results are deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bus.steering import (
    DEFAULT,
    ORTHOGONAL_DECOMP,
    SIMPLE_ADDITIVE,
    STEER_METHODS,
    STEER_TYPES,
    STEERED,
    SteerSettings,
)
from workers.errors import BadRequest
from workers.generation import Generation, generate
from workers.inference import check_feature_index, decoder_weights, encode_text, with_bos_text
from workers.runtime import ServedModel

if TYPE_CHECKING:
    import torch

MAX_LOGPROBS = 10
NO_SETTINGS = SteerSettings()  # every setting at its default
FRAME_TOKENS = 4  # tokens between streamed frames, as the Neuronpedia server's TOKENS_PER_YIELD

CHATML_START = "<|im_start|>"
# End-of-turn tokens of common chat formats; generation also stops on them in chat mode.
END_OF_TURN_TOKENS = ("<|im_end|>", "<end_of_turn>", "<|eot_id|>", "<|end|>")
ROLE_TOKENS_MAX = 8  # a ChatML role header is `<|im_start|>` + a few role tokens + newline

Frame = Callable[[dict[str, Any]], None]


@dataclass
class SteerEdit:
    """One steering direction: `vector` (flattened, float32) applied at `hook` with `coeff`."""

    hook: str
    vector: torch.Tensor
    coeff: float


def steering_edits(
    served: ServedModel,
    features: Sequence[dict[str, Any]] | None,
    vectors: Sequence[dict[str, Any]] | None,
    strength_multiplier: float,
    normalize_steering: bool,
) -> list[SteerEdit]:
    """Resolve request features (`{source, index, strength, steering_vector?}`) or vectors
    (`{steering_vector, strength, hook}`) into edits; exactly one of the two may be given."""
    import torch

    if features and vectors:
        raise BadRequest("Send features or vectors, not both")
    edits = []
    for feature in features or []:
        source = feature.get("source") or feature.get("layer")
        if source is None or "index" not in feature:
            raise BadRequest("Each feature needs a source and an index")
        hook = served.hook_name(str(source))
        if feature.get("steering_vector") is not None:
            vector = torch.as_tensor(feature["steering_vector"], dtype=torch.float32)
        else:
            index = check_feature_index(served, str(source), int(feature["index"]))
            vector = decoder_weights(served, str(source))[index].detach().float()
        edits.append(_edit(served, hook, vector, feature, strength_multiplier, normalize_steering))
    for item in vectors or []:
        if "steering_vector" not in item or "hook" not in item:
            raise BadRequest("Each vector needs a steering_vector and a hook")
        vector = torch.as_tensor(item["steering_vector"], dtype=torch.float32)
        edits.append(
            _edit(served, item["hook"], vector, item, strength_multiplier, normalize_steering)
        )
    return edits


def _edit(
    served: ServedModel,
    hook: str,
    vector: torch.Tensor,
    item: dict[str, Any],
    strength_multiplier: float,
    normalize: bool,
) -> SteerEdit:
    import torch

    if hook not in served.model.hook_dict:
        raise BadRequest(f"Unknown hook: {hook}")
    vector = vector.flatten().to(served.model.cfg.device)
    if not torch.isfinite(vector).all():
        raise BadRequest("Steering vector has non-finite values")
    norm = float(vector.norm())
    if normalize:
        if norm == 0:
            raise BadRequest("Cannot normalize a zero steering vector")
        vector = vector / norm
    strength = float(item.get("strength", 0.0))
    coeff = float(strength_multiplier) * strength
    if not torch.isfinite(torch.tensor(coeff)):
        raise BadRequest("Steering strength is not finite")
    return SteerEdit(hook, vector, coeff)


class _MaskState:
    """The steering mask for the positions of the current forward pass, `[batch, n_fed]`."""

    mask: torch.Tensor | None = None


def steering_hooks(
    edits: Sequence[SteerEdit], method: str, state: _MaskState
) -> list[tuple[str, Callable[..., Any]]]:
    """One forward hook per hook name, applying its edits in request order, scaled by the mask."""
    by_hook: dict[str, list[SteerEdit]] = {}
    for edit in edits:
        by_hook.setdefault(edit.hook, []).append(edit)
    return [(hook, _hook_fn(group, method, state)) for hook, group in by_hook.items()]


def _hook_fn(edits: list[SteerEdit], method: str, state: _MaskState) -> Callable[..., Any]:
    def hook_fn(act: torch.Tensor, hook: Any) -> torch.Tensor:
        assert state.mask is not None
        shape = act.shape
        # Flatten head dims (attn.hook_z is [b, pos, heads, d_head]); edit in float32.
        h = act.reshape(shape[0], shape[1], -1).float()
        m = state.mask[:, -shape[1] :, None].to(h.dtype)
        for edit in edits:
            v = edit.vector.to(h.device)
            if h.shape[-1] != v.numel():
                raise BadRequest(
                    f"Steering vector has {v.numel()} values, hook {hook.name} has {h.shape[-1]}"
                )
            if method == SIMPLE_ADDITIVE:
                h = h + edit.coeff * v * m
            else:
                along = ((h @ v) / (v @ v))[..., None] * v  # P h
                steered = h - along + edit.coeff * along
                h = h * (1 - m) + steered * m
        return h.to(act.dtype).reshape(shape)

    return hook_fn


# -- requests ----------------------------------------------------------------------------------


def _check_request(
    types: Sequence[str], settings: SteerSettings, edits: list[SteerEdit]
) -> list[str]:
    if not types:
        raise BadRequest("types must name at least one of STEERED, DEFAULT")
    for steer_type in types:
        if steer_type not in STEER_TYPES:
            raise BadRequest(f"Unknown type {steer_type!r}; allowed: {', '.join(STEER_TYPES)}")
    if len(set(types)) != len(types):
        raise BadRequest("types repeats a value")
    method = settings.steer_method
    if method not in STEER_METHODS:
        raise BadRequest(
            f"Unsupported steer_method {method!r}; allowed: {', '.join(STEER_METHODS)}"
        )
    if int(settings.n_tokens) < 1:
        raise BadRequest("n_tokens must be at least 1")
    if float(settings.temperature) < 0:
        raise BadRequest("temperature must be 0 or more")
    if not 0 <= int(settings.n_logprobs) <= MAX_LOGPROBS:
        raise BadRequest(f"n_logprobs must be between 0 and {MAX_LOGPROBS}")
    if STEERED in types and not edits:
        raise BadRequest("STEERED needs at least one feature or vector")
    if method == ORTHOGONAL_DECOMP and any(float(e.vector.norm()) == 0 for e in edits):
        raise BadRequest("ORTHOGONAL_DECOMP needs non-zero steering vectors")
    # Row 0 is the steered one, whatever order the caller listed the types in.
    return [t for t in STEER_TYPES if t in types]


def _run(
    served: ServedModel,
    prompt_ids: list[int],
    row_types: list[str],
    edits: list[SteerEdit],
    *,
    settings: SteerSettings,
    stop_ids: set[int],
    special_mask: Callable[[list[int]], list[bool]] | None,
    on_step: Callable[[list[Generation]], None] | None,
) -> list[Generation]:
    """Generate all rows in one batch with the steering hooks on row STEERED only."""
    import torch

    model = served.model
    room = int(model.cfg.n_ctx) - len(prompt_ids)
    if room < 1:
        raise BadRequest(
            f"Prompt has {len(prompt_ids)} tokens, the model's context is {model.cfg.n_ctx}"
        )
    row_steered = torch.tensor([t == STEERED for t in row_types], dtype=torch.float32)
    state = _MaskState()

    def before_forward(sequences: torch.Tensor, start: int) -> None:
        mask = row_steered[:, None].expand(-1, sequences.shape[1]).clone()
        if special_mask is not None:
            # Rows share the prompt; generated tokens differ, so each row gets its own mask.
            for i, seq in enumerate(sequences.tolist()):
                skip = torch.tensor(special_mask(seq), dtype=torch.bool)
                mask[i, skip] = 0
        state.mask = mask[:, start:].to(model.cfg.device)

    hooks = steering_hooks(edits, settings.steer_method, state) if STEERED in row_types else []
    with model.hooks(fwd_hooks=hooks):
        return generate(
            model,
            prompt_ids,
            len(row_types),
            max_new_tokens=min(int(settings.n_tokens), room),
            temperature=float(settings.temperature),
            freq_penalty=float(settings.freq_penalty),
            seed=int(settings.seed),
            n_logprobs=int(settings.n_logprobs),
            stop_ids=stop_ids,
            before_forward=before_forward,
            after_step=on_step,
        )


def _frames(
    n_frame_tokens: int, on_frame: Frame | None, build: Callable[[list[Generation]], dict]
) -> Callable[[list[Generation]], None] | None:
    """An `after_step` callback that sends a cumulative frame every `n_frame_tokens` tokens."""
    if on_frame is None:
        return None
    steps = [0]

    def after_step(rows: list[Generation]) -> None:
        steps[0] += 1
        if steps[0] % n_frame_tokens == 0 and not all(r.done for r in rows):
            on_frame(build(rows))

    return after_step


def _decode(served: ServedModel, ids: list[int]) -> str:
    return served.tokenizer.decode(ids, clean_up_tokenization_spaces=False)


def steer_completion(
    served: ServedModel,
    prompt: str,
    *,
    features: Sequence[dict[str, Any]] | None = None,
    vectors: Sequence[dict[str, Any]] | None = None,
    types: Sequence[str] = (STEERED, DEFAULT),
    settings: SteerSettings = NO_SETTINGS,
    on_frame: Frame | None = None,
    frame_tokens: int = FRAME_TOKENS,
) -> dict[str, Any]:
    """Steered and/or default continuations of `prompt`.

    Returns `{outputs: [{type, output, logprobs}]}` in the order of `types`; `output` is the
    generation only (BOS is prepended to the prompt when the model uses one), `logprobs` is
    `[{token, logprob, top_logprobs: [{token, logprob}]}]` per generated token, or None when
    `n_logprobs` is 0. `on_frame` receives the same shape with the text so far every
    `frame_tokens` tokens, and the final result once more at the end.
    """
    with served.lock:
        edits = steering_edits(
            served, features, vectors, settings.strength_multiplier, settings.normalize_steering
        )
        row_types = _check_request(types, settings, edits)
        prompt_ids = encode_text(served, with_bos_text(served, prompt), prepend_bos=False)
        eos = served.tokenizer.eos_token_id

        def build(rows: list[Generation]) -> dict[str, Any]:
            by_type = dict(zip(row_types, rows, strict=True))
            return {
                "outputs": [
                    {
                        "type": t,
                        "output": _decode(served, by_type[t].tokens),
                        "logprobs": list(by_type[t].logprobs) if settings.n_logprobs else None,
                    }
                    for t in types
                ]
            }

        rows = _run(
            served,
            prompt_ids,
            row_types,
            edits,
            settings=settings,
            stop_ids={eos} if eos is not None else set(),
            special_mask=None,
            on_step=_frames(frame_tokens, on_frame, build),
        )
        result = build(rows)
        if on_frame is not None:
            on_frame(result)
        return result


# -- chat --------------------------------------------------------------------------------------


def render_chat(served: ServedModel, messages: Sequence[dict[str, str]]) -> str:
    """The prompt text for `messages`, ending with an open assistant turn.

    Uses the tokenizer's chat template when it has one; otherwise the generic ChatML layout the
    Neuronpedia PRE server fell back to, after the BOS text when the model uses BOS.
    """
    for message in messages:
        if not isinstance(message.get("role"), str) or not isinstance(message.get("content"), str):
            raise BadRequest("Each chat message needs a string role and content")
    plain = [{"role": m["role"], "content": m["content"]} for m in messages]
    if getattr(served.tokenizer, "chat_template", None):
        return served.tokenizer.apply_chat_template(
            plain, add_generation_prompt=True, tokenize=False
        )
    text = "".join(f"{CHATML_START}{m['role']}\n{m['content']}<|im_end|>\n" for m in plain)
    return with_bos_text(served, text + f"{CHATML_START}assistant\n")


def special_token_mask(served: ServedModel) -> Callable[[list[int]], list[bool]]:
    """A function marking the positions `steer_special_tokens=False` leaves unsteered.

    Marked: every token in `tokenizer.all_special_ids`, and a ChatML role header, i.e. the
    tokens after `<|im_start|>` up to and including the first one containing a newline.
    """
    tokenizer = served.tokenizer
    special = set(tokenizer.all_special_ids)
    vocab = tokenizer.get_vocab()
    start_id = vocab.get(CHATML_START)
    newline_ids: dict[int, bool] = {}

    def has_newline(token: int) -> bool:
        if token not in newline_ids:
            newline_ids[token] = "\n" in tokenizer.decode([token])
        return newline_ids[token]

    def mask(ids: list[int]) -> list[bool]:
        out = [t in special for t in ids]
        for i, token in enumerate(ids):
            if token != start_id:
                continue
            for j in range(i + 1, min(i + 1 + ROLE_TOKENS_MAX, len(ids))):
                out[j] = True
                if has_newline(ids[j]):
                    break
        return out

    return mask


def steer_chat(
    served: ServedModel,
    messages: Sequence[dict[str, str]],
    *,
    features: Sequence[dict[str, Any]] | None = None,
    vectors: Sequence[dict[str, Any]] | None = None,
    types: Sequence[str] = (STEERED, DEFAULT),
    settings: SteerSettings = NO_SETTINGS,
    on_frame: Frame | None = None,
    frame_tokens: int = FRAME_TOKENS,
) -> dict[str, Any]:
    """Steered and/or default assistant replies to `messages` (`[{role, content}]`).

    Returns `{outputs: [{type, raw, chat_template, logprobs}], input: {raw, chat_template}}`:
    `raw` is the rendered prompt plus the generation, `chat_template` the messages plus the new
    assistant turn. Generation stops at EOS or an end-of-turn token. Streaming as in
    `steer_completion`.
    """
    with served.lock:
        edits = steering_edits(
            served, features, vectors, settings.strength_multiplier, settings.normalize_steering
        )
        row_types = _check_request(types, settings, edits)
        rendered = render_chat(served, messages)
        prompt_ids = encode_text(served, rendered, prepend_bos=False)
        history = [{"role": m["role"], "content": m["content"]} for m in messages]

        def build(rows: list[Generation]) -> dict[str, Any]:
            by_type = dict(zip(row_types, rows, strict=True))
            outputs = []
            for t in types:
                text = _decode(served, by_type[t].tokens)
                outputs.append(
                    {
                        "type": t,
                        "raw": rendered + text,
                        "chat_template": [*history, {"role": "assistant", "content": text}],
                        "logprobs": list(by_type[t].logprobs) if settings.n_logprobs else None,
                    }
                )
            return {"outputs": outputs, "input": {"raw": rendered, "chat_template": history}}

        rows = _run(
            served,
            prompt_ids,
            row_types,
            edits,
            settings=settings,
            stop_ids=chat_stop_ids(served),
            special_mask=None if settings.steer_special_tokens else special_token_mask(served),
            on_step=_frames(frame_tokens, on_frame, build),
        )
        result = build(rows)
        if on_frame is not None:
            on_frame(result)
        return result


def chat_stop_ids(served: ServedModel) -> set[int]:
    """EOS plus whichever common end-of-turn tokens the vocabulary has."""
    vocab = served.tokenizer.get_vocab()
    stops = {vocab[t] for t in END_OF_TURN_TOKENS if t in vocab}
    if served.tokenizer.eos_token_id is not None:
        stops.add(served.tokenizer.eos_token_id)
    return stops


def steer_chat_conversations(
    served: ServedModel,
    conversations: Mapping[str, Sequence[dict[str, str]]],
    *,
    features: Sequence[dict[str, Any]] | None = None,
    vectors: Sequence[dict[str, Any]] | None = None,
    types: Sequence[str] = (STEERED, DEFAULT),
    settings: SteerSettings = NO_SETTINGS,
    on_frame: Frame | None = None,
    frame_tokens: int = FRAME_TOKENS,
) -> dict[str, Any]:
    """`steer_chat` where each type continues its own conversation (`{type: messages}`).

    Neuronpedia's chat UI keeps separate histories for the steered and the default side. Types
    whose conversations are equal share one batched generation; otherwise each runs on its own,
    STEERED first, with the same seed. Returns `steer_chat`'s shape plus `inputs: {type: input}`
    (`input` is the first type's). Frames carry every type, an empty reply for one not started.
    """
    missing = [t for t in types if t not in conversations]
    if missing:
        raise BadRequest(f"No conversation for {', '.join(missing)}")
    # Messages as given (a missing role or content is render_chat's BadRequest).
    groups: list[tuple[list[dict[str, Any]], list[str]]] = []
    for steer_type in [t for t in STEER_TYPES if t in types]:
        messages: list[dict[str, Any]] = [
            {"role": m.get("role"), "content": m.get("content")} for m in conversations[steer_type]
        ]
        for group_messages, group_types in groups:
            if group_messages == messages:
                group_types.append(steer_type)
                break
        else:
            groups.append((messages, [steer_type]))

    latest: dict[str, dict[str, Any]] = {}
    for messages, group_types in groups:
        rendered = render_chat(served, messages)
        for steer_type in group_types:
            reply = {"role": "assistant", "content": ""}
            latest[steer_type] = {
                "type": steer_type,
                "raw": rendered,
                "chat_template": [*messages, reply],
                "logprobs": None,
            }

    def merged() -> dict[str, Any]:
        return {"outputs": [latest[t] for t in types]}

    inputs: dict[str, Any] = {}
    for messages, group_types in groups:

        def forward(frame: dict[str, Any]) -> None:
            for output in frame["outputs"]:
                latest[output["type"]] = output
            if on_frame is not None:
                on_frame(merged())

        result = steer_chat(
            served,
            messages,
            features=features,
            vectors=vectors,
            types=group_types,
            settings=settings,
            on_frame=forward if on_frame is not None else None,
            frame_tokens=frame_tokens,
        )
        for output in result["outputs"]:
            latest[output["type"]] = output
            inputs[output["type"]] = result["input"]
    return {**merged(), "input": inputs[types[0]], "inputs": inputs}
