"""`parse_chat_prompt`: the chat turns behind a rendered graph prompt, learnt from the model's
own chat template (the demo model's ChatML, and Llama 3 and Gemma style templates set on the same
tokenizer), as upstream's graph server `/parse-chat-prompt`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.worker_processes import DEMO_PACK
from workers.graphs.chat_prompt import parse_chat_prompt, split_turns, turn_delimiters
from workers.graphs.prompts import graph_prompt

CHAT = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "What does a cat say?"},
    {"role": "assistant", "content": "Meow."},
    {"role": "user", "content": "And a dog?"},
]

# Templates in the style of two other families; the Gemma one refuses turns that do not
# alternate (so two user turns in a row) and calls the assistant `model`.
LLAMA3 = (
    "{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + "
    "'<|end_header_id|>\n\n' + m['content'] + '<|eot_id|>' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}"
    "{% endif %}"
)
GEMMA = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate') }}{% endif %}"
    "{% set role = 'model' if m['role'] == 'assistant' else m['role'] %}"
    "{{ '<start_of_turn>' + role + '\n' + m['content'] + '<end_of_turn>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}"
)


@pytest.fixture
def tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(DEMO_PACK / "model")


def _rendered(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The prompt as a graph stores it: the messages through `graph_prompt` (open assistant
    turn at the end)."""
    return graph_prompt(tokenizer, None, messages, limit=10_000).text


def test_a_chatml_prompt_comes_back_as_its_turns(tokenizer: Any) -> None:
    prompt = _rendered(tokenizer, CHAT)
    assert prompt.startswith("<|im_start|>system\nYou are terse.<|im_end|>\n")
    out = parse_chat_prompt(tokenizer, prompt)
    assert out == {
        "messages": [*CHAT, {"role": "assistant", "content": ""}],
        "is_chat": True,
        "prompt": prompt,
        "unsteerable_positions": [0],
    }


def test_a_leading_special_token_is_stripped_first(tokenizer: Any) -> None:
    prompt = _rendered(tokenizer, CHAT[1:2])
    out = parse_chat_prompt(tokenizer, "<|endoftext|>" + prompt)
    assert out["prompt"] == prompt
    assert out["messages"] == [*CHAT[1:2], {"role": "assistant", "content": ""}]


def test_a_plain_prompt_has_no_turns(tokenizer: Any) -> None:
    out = parse_chat_prompt(tokenizer, "<|endoftext|>The cat sat on the")
    assert out == {
        "messages": None,
        "is_chat": False,
        "prompt": "The cat sat on the",
        "unsteerable_positions": [0],
    }


def test_a_model_without_a_chat_template_has_no_turns(tokenizer: Any) -> None:
    tokenizer.chat_template = None
    assert turn_delimiters(tokenizer) == {}
    assert parse_chat_prompt(tokenizer, "<|im_start|>user\nhi<|im_end|>\n")["is_chat"] is False


@pytest.mark.parametrize(
    ("template", "messages", "assistant_header"),
    [
        (LLAMA3, CHAT, "<|start_header_id|>assistant<|end_header_id|>\n\n"),
        (GEMMA, CHAT[1:], "<start_of_turn>model\n"),
    ],
)
def test_other_families_templates_are_learnt_from_the_template(
    tokenizer: Any, template: str, messages: list[dict[str, str]], assistant_header: str
) -> None:
    tokenizer.chat_template = template
    delimiters = turn_delimiters(tokenizer)
    assert delimiters["assistant"][0] == assistant_header
    assert not delimiters["user"][0].startswith("<|endoftext|>")  # the BOS opens, not the turn
    prompt = _rendered(tokenizer, messages)
    out = parse_chat_prompt(tokenizer, prompt)
    assert out["prompt"] == prompt.removeprefix("<|endoftext|>")
    assert out["messages"] == [*messages, {"role": "assistant", "content": ""}]


def test_the_longer_header_wins_where_two_start_together() -> None:
    delimiters = {"user": ("<u>", "</t>"), "assistant": ("<u>a>", "</t>")}
    assert split_turns("<u>hi</t><u>a>yo", delimiters) == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "yo"},
    ]
