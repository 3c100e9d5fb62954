"""A graph request's prompt, as text and as the token ids circuit-tracer gets.

Upstream's graph server takes `prompt` or chat `messages` (rendered with the tokenizer's chat
template, messages win), counts the prompt's tokens without special tokens and refuses more than
64. circuit-tracer's `ensure_tokenized` would prepend a BOS itself, but it picks the first
truthy special id, so a BOS of id 0 (the demo tokenizer's `<|endoftext|>`) is skipped and it
raises StopIteration: we hand it ids that already start with a special token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from workers.errors import BadRequest

GRAPH_TOKEN_LIMIT = 64


@dataclass(frozen=True)
class GraphPrompt:
    text: str  # the prompt as rendered (messages through the chat template)
    ids: list[int]  # with the leading special token circuit-tracer expects


def render(tokenizer: Any, prompt: str | None, messages: Sequence[dict[str, Any]] | None) -> str:
    """The prompt text: `messages` through the tokenizer's chat template when given (ending with
    an open assistant turn), else `prompt`."""
    if messages:
        for message in messages:
            if not isinstance(message, dict) or not all(
                isinstance(message.get(key), str) for key in ("role", "content")
            ):
                raise BadRequest("Each chat message needs a string role and content")
        if not getattr(tokenizer, "chat_template", None):
            raise BadRequest("This model has no chat template; send a prompt instead")
        plain = [{"role": m["role"], "content": m["content"]} for m in messages]
        return str(tokenizer.apply_chat_template(plain, add_generation_prompt=True, tokenize=False))
    if not prompt:
        raise BadRequest("Send a prompt or messages")
    return prompt


def leading_special_id(tokenizer: Any) -> int | None:
    """The token every graph prompt starts with: the tokenizer's BOS, else EOS, else PAD."""
    for candidate in (tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id):
        if candidate is not None:
            return int(candidate)
    return None


def with_leading_special(tokenizer: Any, ids: list[int]) -> list[int]:
    """`ids` led by `leading_special_id`, as the model saw every document in training; a prompt
    already starting with it is left alone. circuit-tracer leaves that first position out of the
    graph."""
    lead = leading_special_id(tokenizer)
    if lead is None or (ids and ids[0] == lead):
        return ids
    return [lead, *ids]


def strip_leading_special(tokenizer: Any, text: str) -> str:
    """`text` without the leading special token written out at its start (a stored graph's
    prompt may carry it), as upstream's graph server strips a leading BOS."""
    lead = leading_special_id(tokenizer)
    literal = None if lead is None else tokenizer.convert_ids_to_tokens(lead)
    return text[len(literal) :] if literal and text.startswith(literal) else text


def unsteerable_positions(ids: Sequence[int]) -> list[int]:
    """The positions of a graph prompt's `ids` that steering leaves alone: the leading special
    token, whose features circuit-tracer zeroes. `steer_logits` drops features there and
    `parse_chat_prompt` reports them, from this one rule."""
    return [0] if ids else []


def graph_prompt(
    tokenizer: Any,
    prompt: str | None,
    messages: Sequence[dict[str, Any]] | None,
    limit: int = GRAPH_TOKEN_LIMIT,
) -> GraphPrompt:
    """The rendered prompt and its ids; 400 when it has more than `limit` tokens."""
    text = render(tokenizer, prompt, messages)
    ids = [int(i) for i in tokenizer(text, add_special_tokens=False)["input_ids"]]
    if not ids:
        raise BadRequest("The prompt has no tokens")
    if len(ids) > limit:
        raise BadRequest(f"Prompt exceeds token limit ({len(ids)} > {limit})")
    return GraphPrompt(text=text, ids=with_leading_special(tokenizer, ids))
