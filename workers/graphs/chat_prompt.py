"""`parse_chat_prompt`: the chat turns behind a rendered graph prompt (upstream's graph server
`/parse-chat-prompt`, which the graph page's "remix" and steer panels call).

A graph stores its prompt as one string, rendered through the model's chat template when it was
generated from `messages`. To give the turns back, we learn each role's turn header and footer
from the template itself: render short conversations whose every content is a sentinel, and read
the literal text around it. No family's special tokens are written down here, so any template
works (ChatML for the demo model, Llama 3, Gemma, ...). Tokenizer work only: it takes no model
lock, so a graph being traced does not hold it up.
"""

from __future__ import annotations

from typing import Any

from workers.graphs.prompts import (
    strip_leading_special,
    unsteerable_positions,
    with_leading_special,
)

# Content no template alters: where it lands in a render shows where a turn's content goes.
SENTINEL = "\x00np-chat-turn\x00"
ROLES = ("system", "user", "assistant")

Delimiters = dict[str, tuple[str, str]]  # role -> (header, footer)


def _render_around(tokenizer: Any, roles: tuple[str, ...]) -> list[str] | None:
    """The literal pieces around each content of a conversation of `roles` (one more piece than
    roles), or None when the template refuses that conversation or rewrites a content."""
    conversation = [{"role": role, "content": SENTINEL} for role in roles]
    try:
        text = tokenizer.apply_chat_template(
            conversation, tokenize=False, add_generation_prompt=False
        )
    except Exception:  # a template may refuse a role or an order (jinja's raise_exception)
        return None
    pieces = str(text).split(SENTINEL)
    return pieces if len(pieces) == len(roles) + 1 else None


def _header_after_user(tokenizer: Any, role: str, user_footer: str) -> str | None:
    """`role`'s header, read where it follows a user turn. Between two user turns first: some
    templates decorate only the last turn (Qwen3 puts an empty think block in a final assistant
    turn), and that decoration belongs to the content, not to the header."""
    for roles in (("user", role, "user"), ("user", role)):
        pieces = _render_around(tokenizer, roles)
        if pieces is not None and pieces[1].startswith(user_footer):
            return pieces[1][len(user_footer) :]
    return None


def turn_delimiters(tokenizer: Any) -> Delimiters:
    """Each role's (header, footer) in the model's chat template; empty without a template."""
    if not getattr(tokenizer, "chat_template", None):
        return {}
    alone = _render_around(tokenizer, ("user",))
    if alone is None:
        return {}
    opening, user_footer = alone
    found: Delimiters = {}
    for role in ROLES:
        header = _header_after_user(tokenizer, role, user_footer)
        if header is None and role == "user":
            # Templates that want roles to alternate (Gemma) refuse two user turns: the lone
            # user turn's opening is the header, without the special token a conversation
            # starts with (prompts reach the parser without it).
            header = strip_leading_special(tokenizer, opening)
        if not header:
            continue
        after = _render_around(tokenizer, ("user", role))
        found[role] = (header, after[2] if after is not None else user_footer)
    return found


def split_turns(prompt: str, delimiters: Delimiters) -> list[dict[str, str]] | None:
    """The turns of a rendered `prompt`, or None when no turn header occurs in it (plain text).

    Turns start at each header; where two roles' headers start at one place the longer wins.
    A turn's content runs to the next header, less its role's footer; text before the first
    header is the conversation's opening, not a turn. An open final turn (the graph prompt's
    `assistant` turn the model continues) comes back with its content so far, often empty.
    """
    found: list[tuple[int, str, str]] = []  # (start, role, header)
    for role, (header, _footer) in delimiters.items():
        at = prompt.find(header)
        while at != -1:
            found.append((at, role, header))
            at = prompt.find(header, at + len(header))
    found.sort(key=lambda hit: (hit[0], -len(hit[2])))
    turns: list[tuple[int, str, str]] = []
    for hit in found:
        if not turns or hit[0] >= turns[-1][0] + len(turns[-1][2]):
            turns.append(hit)
    if not turns:
        return None
    messages = []
    for number, (start, role, header) in enumerate(turns):
        end = turns[number + 1][0] if number + 1 < len(turns) else len(prompt)
        content = prompt[start + len(header) : end]
        footer = delimiters[role][1]
        if footer and content.endswith(footer):
            content = content[: -len(footer)]
        messages.append({"role": role, "content": content})
    return messages


def parse_chat_prompt(tokenizer: Any, prompt: str) -> dict[str, Any]:
    """Upstream's answer: `{messages (None for a plain prompt), is_chat, prompt (without a
    leading special token written out), unsteerable_positions}`; the positions index the tokens
    `steer_logits` sees for that prompt (the leading special token first)."""
    text = strip_leading_special(tokenizer, prompt)
    messages = split_turns(text, turn_delimiters(tokenizer))
    ids = with_leading_special(tokenizer, tokenizer(text, add_special_tokens=False)["input_ids"])
    return {
        "messages": messages,
        "is_chat": messages is not None,
        "prompt": text,
        "unsteerable_positions": unsteerable_positions(ids),
    }
