"""Token-by-token sampling with a KV cache, for steering.

TransformerLens' `generate` cannot report log-probabilities, and its frequency penalty counts the
prompt too, so steering runs this loop instead. All rows share one prompt (the STEERED and DEFAULT
rows of a steering request); hooks installed by the caller see every forward pass, the prompt pass
first and then one position per step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from jaxtyping import Float


@dataclass
class Generation:
    """What one row produced: token ids (stop token excluded) and, if asked, their logprobs."""

    tokens: list[int] = field(default_factory=list)
    logprobs: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False


def apply_freq_penalty(
    logits: Float[torch.Tensor, "batch vocab"],  # noqa: F722 (jaxtyping shape)
    counts: Float[torch.Tensor, "batch vocab"],  # noqa: F722
    freq_penalty: float,
) -> Float[torch.Tensor, "batch vocab"]:  # noqa: F722
    """`logits - freq_penalty * counts`, counts being how often each token was generated so far.

    Neuronpedia accepts `freq_penalty` but no backend of it applies it; we do, OpenAI-style, over
    the generated tokens only (the prompt's own repetitions are not penalised).
    """
    if not freq_penalty:
        return logits
    return logits - freq_penalty * counts


def _kv_cache_class() -> Any:
    try:  # TransformerLens 3.x
        from transformer_lens.cache.key_value_cache import TransformerLensKeyValueCache

        return TransformerLensKeyValueCache
    except ImportError:  # TransformerLens 2.x
        from transformer_lens.past_key_value_caching import HookedTransformerKeyValueCache

        return HookedTransformerKeyValueCache


def generate(
    model: Any,
    prompt: Sequence[int],
    n_rows: int,
    *,
    max_new_tokens: int,
    temperature: float,
    freq_penalty: float,
    seed: int,
    n_logprobs: int = 0,
    stop_ids: set[int] | frozenset[int] = frozenset(),
    before_forward: Callable[[torch.Tensor, int], None] | None = None,
    after_step: Callable[[list[Generation]], None] | None = None,
) -> list[Generation]:
    """Sample `max_new_tokens` (or until each row's stop token) for `n_rows` copies of `prompt`.

    Each row gets its own `torch.Generator` seeded with `seed`, so a row's tokens depend only on
    its own logits: the DEFAULT row samples the same text whether or not a STEERED row runs beside
    it (up to the float rounding of a batch of 2 against a batch of 1). Temperature 0 is greedy.
    `before_forward(sequences, start)` runs before each pass, `sequences` holding every row's
    tokens so far and `start` the first position being fed; `after_step(rows)` runs after each
    sampled token. Log-probabilities are the model's own (log-softmax of the raw logits), before
    penalty and temperature, as inference servers usually report them.
    """
    import torch

    device = model.cfg.device
    tokenizer = model.tokenizer
    rows = [Generation() for _ in range(n_rows)]
    generators = []
    for _ in range(n_rows):
        generator = torch.Generator(device=device)
        generator.manual_seed(int(seed))
        generators.append(generator)
    counts = torch.zeros((n_rows, model.cfg.d_vocab_out), device=device)
    sequences = torch.tensor([list(prompt)] * n_rows, dtype=torch.long, device=device)
    cache = _kv_cache_class().init_cache(model.cfg, device, n_rows)
    fed = sequences
    start = 0
    with torch.no_grad():
        for _ in range(max_new_tokens):
            if before_forward is not None:
                before_forward(sequences, start)
            logits = model(
                fed,
                return_type="logits",
                past_kv_cache=cache,
                # Explicit ones: without a mask TransformerLens masks tokens equal to the pad id,
                # which is often the BOS/EOS id.
                attention_mask=torch.ones_like(fed),
            )[:, -1, :].float()
            next_tokens = _sample(
                apply_freq_penalty(logits, counts, freq_penalty), temperature, generators
            )
            logprobs = torch.log_softmax(logits, dim=-1) if n_logprobs else None
            for i, row in enumerate(rows):
                if row.done:
                    continue
                token = int(next_tokens[i])
                if token in stop_ids:
                    row.done = True
                    continue
                row.tokens.append(token)
                counts[i, token] += 1
                if logprobs is not None:
                    row.logprobs.append(_logprob_entry(tokenizer, logprobs[i], token, n_logprobs))
            if after_step is not None:
                after_step(rows)
            if all(row.done for row in rows):
                break
            start = sequences.shape[1]
            fed = next_tokens[:, None]
            sequences = torch.cat([sequences, fed], dim=1)
    return rows


def _sample(
    logits: Float[torch.Tensor, "batch vocab"],  # noqa: F722 (jaxtyping shape)
    temperature: float,
    generators: list[torch.Generator],
) -> torch.Tensor:
    import torch

    if temperature <= 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits / temperature, dim=-1)
    return torch.cat(
        [
            torch.multinomial(probs[i : i + 1], 1, generator=generator)[0]
            for i, generator in enumerate(generators)
        ]
    )


def _logprob_entry(tokenizer: Any, logprobs: torch.Tensor, token: int, k: int) -> dict[str, Any]:
    import torch

    values, indices = torch.topk(logprobs, k=min(k, logprobs.shape[-1]))
    return {
        "token": _decode_one(tokenizer, token),
        "logprob": float(logprobs[token]),
        "top_logprobs": [
            {"token": _decode_one(tokenizer, int(i)), "logprob": float(v)}
            for v, i in zip(values.tolist(), indices.tolist(), strict=True)
        ],
    }


def _decode_one(tokenizer: Any, token: int) -> str:
    return tokenizer.decode([token], clean_up_tokenization_spaces=False)
