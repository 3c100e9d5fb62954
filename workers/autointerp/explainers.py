"""The LLM explainers, under Neuronpedia's type names, each a prompt builder and a reply parser.

- `oai_token-act-pair`: OpenAI's "token<TAB>activation" format with few-shot neurons; the reply
  completes "the main thing this neuron does is find".
- `np_max-act-logits`: lists of max-activating tokens, the tokens after them, the feature's top
  positive logits and its top texts; the model tries methods in order and ends with
  "Explanation: ...".
- `np_max-act`: the same without the logits and following tokens.
- `eleuther_acts_top20`: Delphi's default explainer (Paulo et al. 2024): the top 20 examples with
  tokens above 0.6 of the example's maximum marked <<like this>>; the reply ends with
  "[EXPLANATION]: ...".

The prompts follow upstream's structure (system text, few-shot turns, the feature's turn) in
this project's own words. Upstream's examples selection and request settings are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workers.autointerp.examples import EXPLAIN_COUNT, EXPLAIN_COUNT_ELEUTHER, Example
from workers.autointerp.llm import MalformedReply, Messages

TOKENS_AROUND_MAX = 24  # of TOP_ACTIVATING_TEXTS, either side of the max token
ELEUTHER_THRESHOLD = 0.6  # upstream's DefaultExplainer(threshold=0.6)


@dataclass(frozen=True)
class Explainer:
    name: str
    build: Callable[[list[Example], list[str], str], Messages]
    parse: Callable[[str], str]
    count: int = EXPLAIN_COUNT
    requires_openrouter: bool = False
    params: dict[str, Any] = field(default_factory=dict)


def is_reasoning_model(model: str) -> bool:
    """Upstream's `isReasoningModel`."""
    return model.startswith(("o1-", "o3-", "deepseek-r1")) or "-thinking" in model


def _message(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


def _few_shot(system: str, shots: list[tuple[str, str]], final: str) -> Messages:
    messages = [_message("system", system)]
    for user, assistant in shots:
        messages += [_message("user", user), _message("assistant", assistant)]
    messages.append(_message("user", final))
    return messages


# -- oai_token-act-pair ------------------------------------------------------------------------

TOKEN_ACT_SYSTEM = (
    "We are studying neurons in a neural network. Each neuron looks for one particular thing in "
    "a short document. Look at the parts of the document the neuron activates on and say in one "
    "sentence what it is looking for. Do not list example words.\n\n"
    "Activations are written token<tab>activation, from 0 to 10. A non-zero value means the "
    "neuron found what it looks for; the higher the value, the stronger the match."
)
FIND = "the main thing this neuron does is find"


def _token_act_block(tokens: list[str], values: list[float]) -> str:
    lines = "".join(f"\n{token}\t{value:g}" for token, value in zip(tokens, values, strict=False))
    return f"\n<start>{lines}\n<end>"


def _token_act_shot(number: int, rows: list[list[tuple[str, float]]]) -> str:
    blocks = "".join(_token_act_block([t for t, _ in r], [v for _, v in r]) for r in rows)
    ask = f"Explanation of neuron {number} behavior: {FIND}"
    return f"\n\nNeuron {number}\nActivations:{blocks}\n\n{ask}"


TOKEN_ACT_SHOTS = [
    (
        _token_act_shot(
            1,
            [
                [(" the", 0), (" magician", 0), (" kept", 0), (" vanish", 2), ("ing", 10)],
                [(" es", 0), ("cap", 0), ("ing", 9), (" the", 3), (" city", 0)],
            ],
        ),
        "present tense verbs ending in 'ing'.",
    ),
    (
        _token_act_shot(
            2,
            [
                [(" she", 0), (" had", 0), (" a", 0), (" heart", 0), (" attack", 10)],
                [(" bouts", 0), (" of", 0), (" vert", 0), ("igo", 9), (" and", 0)],
            ],
        ),
        "words related to physical medical conditions.",
    ),
]


def build_token_act_pair(examples: list[Example], _logits: list[str], model: str) -> Messages:
    blocks = "".join(_token_act_block(e.tokens, e.values) for e in examples)
    reasoning = (
        '\nOnly answer with the end of the sentence "the main thing this neuron does is find", '
        'not the whole sentence, and do not mention "this neuron".'
        if is_reasoning_model(model)
        else ""
    )
    final = (
        f"\n\nNeuron 3\nActivations:{blocks}\n{reasoning}\nExplanation of neuron 3 behavior: {FIND}"
    )
    return _few_shot(TOKEN_ACT_SYSTEM, TOKEN_ACT_SHOTS, final)


def parse_plain(text: str) -> str:
    explanation = text.strip()
    if not explanation:
        raise MalformedReply("the explanation was empty")
    return explanation


# -- np_max-act-logits and np_max-act ----------------------------------------------------------

LISTS_RULES = (
    "Rules:\n"
    "- Answer with 1 to 6 words, mostly 1 to 3.\n"
    '- No filler such as "words related to" or "variations of the word".\n'
    '- Do not mention "tokens" or "patterns".\n'
    '- Be specific: "unique words" or "foreign words" are not explanations.\n'
    "- If nothing works, answer with the first of MAX_ACTIVATING_TOKENS.\n\n"
    "Go through the methods in order; for each that fails say briefly why. End with the method "
    "you used, why, and a last line 'Explanation: <explanation>'."
)

LOGITS_SYSTEM = (
    "You explain a neuron of a neural network in a very short phrase (1-6 words) that says what "
    "it detects or predicts, by finding what lists have in common. The lists are:\n\n"
    "- MAX_ACTIVATING_TOKENS: the token with the highest activation in each top text.\n"
    "- TOKENS_AFTER_MAX_ACTIVATING_TOKEN: the token right after each of those.\n"
    "- TOP_POSITIVE_LOGITS: the tokens the neuron most promotes.\n"
    "- TOP_ACTIVATING_TEXTS: the top texts, cut around the max activating token.\n\n"
    "Try these methods in order and stop at the first that finds something:\n"
    "Method 1: if MAX_ACTIVATING_TOKENS share something specific or are one token in several "
    "forms, answer with it.\n"
    "Method 2: if TOKENS_AFTER_MAX_ACTIVATING_TOKEN share a pattern (same first letter, same "
    "ending, same number), answer 'say [the pattern]'.\n"
    "Method 3: describe what TOP_POSITIVE_LOGITS have in common in 1-3 words.\n"
    "Method 4: name the broad theme of TOP_ACTIVATING_TEXTS.\n\n" + LISTS_RULES
)

ACTS_SYSTEM = (
    "You explain a neuron of a neural network in a very short phrase (1-6 words) that says what "
    "it detects, by finding what lists have in common. The lists are:\n\n"
    "- MAX_ACTIVATING_TOKENS: the token with the highest activation in each top text.\n"
    "- TOP_ACTIVATING_TEXTS: the top texts, cut around the max activating token.\n\n"
    "Try these methods in order and stop at the first that finds something:\n"
    "Method 1: if MAX_ACTIVATING_TOKENS share something specific or are one token in several "
    "forms, answer with it.\n"
    "Method 2: name the broad theme of TOP_ACTIVATING_TEXTS, ignoring the max tokens.\n\n"
    + LISTS_RULES
)


def _section(name: str, lines: list[str]) -> str:
    body = "\n".join(lines)
    return f"<{name}>\n\n{body}\n\n</{name}>"


def _lists_message(number: int, sections: list[tuple[str, list[str]]]) -> str:
    body = "\n\n\n".join(_section(name, lines) for name, lines in sections)
    return f"\n\nNeuron {number}\n\n{body}\n\n\nExplanation of neuron {number} behavior: "


def _clean(token: str) -> str:
    return token.replace("\n", "", 1).strip()


def max_activating_tokens(examples: list[Example]) -> list[str]:
    return [_clean(e.tokens[e.max_index]) if e.tokens else "" for e in examples]


def tokens_after_max(examples: list[Example]) -> list[str]:
    after = []
    for e in examples:
        i = e.max_index + 1
        after.append(_clean(e.tokens[i]) if i < len(e.tokens) else "")
    return after


def top_activating_texts(examples: list[Example]) -> list[str]:
    texts = []
    for e in examples:
        start = max(0, e.max_index - TOKENS_AROUND_MAX)
        end = min(len(e.tokens), e.max_index + TOKENS_AROUND_MAX + 1)
        texts.append("".join(e.tokens[start:end]).replace("\n", "  "))
    return texts


def top_logits(pos_str: list[str]) -> list[str]:
    return [t.replace("▁", " ").replace("\n", "").strip() for t in pos_str]


LOGITS_SHOTS = [
    (
        _lists_message(
            1,
            [
                ("TOKENS_AFTER_MAX_ACTIVATING_TOKEN", ["was", "watching"]),
                ("MAX_ACTIVATING_TOKENS", ["She", "enjoy"]),
                ("TOP_POSITIVE_LOGITS", ["walking", "waiting", "was", "we", "wish", "win"]),
                (
                    "TOP_ACTIVATING_TEXTS",
                    ["She was asleep when the phone rang.", "I enjoy watching films."],
                ),
            ],
        ),
        "Method 1 fails: She and enjoy have nothing in common.\n"
        'Method 2 succeeds: every following token starts with "w".\n'
        'Explanation: say "w" words',
    ),
    (
        _lists_message(
            2,
            [
                ("TOKENS_AFTER_MAX_ACTIVATING_TOKEN", ["are", ","]),
                ("MAX_ACTIVATING_TOKENS", ["banana", "blueberries"]),
                ("TOP_POSITIVE_LOGITS", ["apple", "orange", "kiwi", "peach", "pear", "grape"]),
                (
                    "TOP_ACTIVATING_TEXTS",
                    ["Apples and bananas are healthy.", "We picked blueberries, and plums."],
                ),
            ],
        ),
        "Method 1 succeeds: banana and blueberries are fruits.\nExplanation: fruits",
    ),
]

ACTS_SHOTS = [
    (
        _lists_message(
            1,
            [
                ("MAX_ACTIVATING_TOKENS", ["and", "And"]),
                (
                    "TOP_ACTIVATING_TEXTS",
                    ["Clear skies and warm sun.", "And the roses and tulips bloomed."],
                ),
            ],
        ),
        'Method 1 succeeds: every max token is the word "and".\nExplanation: and',
    ),
    (
        _lists_message(
            2,
            [
                ("MAX_ACTIVATING_TOKENS", ["class", "teaches"]),
                (
                    "TOP_ACTIVATING_TEXTS",
                    ["the war was a big topic in history class .", " she teaches psychology ."],
                ),
            ],
        ),
        "Method 1 fails: class and teaches are different words.\n"
        "Method 2 succeeds: the texts are about education.\nExplanation: education",
    ),
]


def build_max_act_logits(examples: list[Example], pos_str: list[str], _model: str) -> Messages:
    final = _lists_message(
        3,
        [
            ("TOKENS_AFTER_MAX_ACTIVATING_TOKEN", tokens_after_max(examples)),
            ("MAX_ACTIVATING_TOKENS", max_activating_tokens(examples)),
            ("TOP_POSITIVE_LOGITS", top_logits(pos_str)),
            ("TOP_ACTIVATING_TEXTS", top_activating_texts(examples)),
        ],
    )
    return _few_shot(LOGITS_SYSTEM, LOGITS_SHOTS, final)


def build_max_act(examples: list[Example], _pos_str: list[str], _model: str) -> Messages:
    final = _lists_message(
        3,
        [
            ("MAX_ACTIVATING_TOKENS", max_activating_tokens(examples)),
            ("TOP_ACTIVATING_TEXTS", top_activating_texts(examples)),
        ],
    )
    return _few_shot(ACTS_SYSTEM, ACTS_SHOTS, final)


_METHOD = re.compile(r"method [1-5]", re.IGNORECASE)


def parse_after_explanation(text: str) -> str:
    """Upstream's `postProcessExplanation`: the text after the last "Explanation: ", without a
    final period; a reply that still names a method is not an explanation."""
    cleaned = text.strip().removesuffix(".")
    for marker in ("Explanation: ", "explanation: "):
        if marker in cleaned:
            cleaned = cleaned.split(marker)[-1]
            break
    if _METHOD.search(cleaned):
        raise MalformedReply("the reply names a method instead of ending with an explanation")
    cleaned = cleaned.strip()
    if not cleaned:
        raise MalformedReply("the explanation was empty")
    return cleaned


# -- eleuther_acts_top20 (Delphi's DefaultExplainer) -------------------------------------------

ELEUTHER_SYSTEM = (
    "You are a careful AI researcher looking for patterns in language. You will get text "
    "examples in which important words are marked between delimiters <<like this>>; a run of "
    "consecutive important tokens is marked as a whole <<like this one>>.\n\n"
    "- Give a concise final description of what the marked text has in common.\n"
    "- Ignore uninformative examples; summarise rather than list important tokens.\n"
    "- Do not mention the markers (<< >>).\n"
    "- Do not list several possible explanations.\n"
    "- The last line of your answer must be the explanation, written [EXPLANATION]: ..."
)
ELEUTHER_SHOTS = [
    (
        "\nExample 1:  and he was <<over the moon>> to find\n"
        "Example 2:  we'll be laughing <<till the cows come home>>! Pro\n",
        "\n[EXPLANATION]: Common idioms in text conveying positive sentiment.\n",
    ),
    (
        "\nExample 1:  the ocean is wid<<er>>. The ocean\n"
        "Example 2:  the hole was small<<er>> but deep<<er>> than the\n",
        '\n[EXPLANATION]: The token "er" at the end of a comparative adjective describing size.\n',
    ),
]


def highlight(tokens: list[str], values: list[float], threshold: float) -> str:
    """Delphi's `_highlight`: runs of tokens above `threshold` x the example's max in << >>."""
    cut = max(values, default=0.0) * threshold
    out = []
    inside = False
    for token, value in zip(tokens, values, strict=False):
        above = value > cut
        if above and not inside:
            out.append("<<")
        if not above and inside:
            out.append(">>")
        inside = above
        out.append(token)
    if inside:
        out.append(">>")
    return "".join(out)


def build_eleuther(examples: list[Example], _pos_str: list[str], _model: str) -> Messages:
    lines = "\n".join(highlight(e.tokens, e.values, ELEUTHER_THRESHOLD) for e in examples)
    return _few_shot(ELEUTHER_SYSTEM, ELEUTHER_SHOTS, f"\n{lines}\n")


_ELEUTHER_ANSWER = re.compile(r"\[EXPLANATION\]:\s*(.*)", re.DOTALL)


def parse_eleuther(text: str) -> str:
    match = _ELEUTHER_ANSWER.search(text)
    if match is None or not match.group(1).strip():
        raise MalformedReply("the reply has no '[EXPLANATION]:' line")
    return match.group(1).strip()


UPSTREAM_PARAMS = {"max_completion_tokens": 4096, "temperature": 1.0, "top_p": 1.0}

EXPLAINERS = {
    e.name: e
    for e in (
        Explainer("oai_token-act-pair", build_token_act_pair, parse_plain, params=UPSTREAM_PARAMS),
        Explainer(
            "np_max-act-logits",
            build_max_act_logits,
            parse_after_explanation,
            params=UPSTREAM_PARAMS,
        ),
        Explainer("np_max-act", build_max_act, parse_after_explanation, params=UPSTREAM_PARAMS),
        Explainer(
            "eleuther_acts_top20",
            build_eleuther,
            parse_eleuther,
            count=EXPLAIN_COUNT_ELEUTHER,
            requires_openrouter=True,
            params={"temperature": 0.0},
        ),
    )
}
