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


def with_leading_special(tokenizer: Any, ids: list[int]) -> list[int]:
    """`ids` led by the tokenizer's BOS (else EOS, else PAD), as the model saw every document in
    training; a prompt already starting with it is left alone. circuit-tracer leaves that first
    position out of the graph."""
    for candidate in (tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id):
        if candidate is not None:
            return ids if ids and ids[0] == candidate else [int(candidate), *ids]
    return ids


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
