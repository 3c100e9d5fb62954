"""Offline feature explanations from a dashboard: top activating tokens plus top logits.

Neuronpedia's `np_max-act-logits` explainer shows an LLM the max-activating tokens and the top
positive logits and asks it for a phrase. This does something similar without an LLM, so a fresh
install (or the demo pack) has readable explanations, under a type name of its own
(`np_offline-max-act`, so they are never taken for an LLM's): the most telling max-activating
tokens, the top logits, and, when a lexicon is given, the name of a lexicon group the feature is
selective for ("dinosaurs: triceratops, fossil, raptor; predicts horns, teeth"). Tokens are
ranked by the activation on them in the top examples, weighted by their rarity in the corpus (an
idf), so a feature that stays on through a whole paragraph is described by the paragraph's topic
words rather than by the "the" it happens to peak on. LLM explainers can replace
these rows later; they carry their own type and model names.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

EXPLANATION_TYPE = "np_offline-max-act"
# A topic is named only when its words carry at least this share of the feature's token scores,
# its best token is one of them, and they are at least half of the tokens shown.
SELECTIVE_SHARE = 0.5
# When the examples' texts are given instead, the topic is read from the strong examples: those
# on which the feature reaches this fraction of its maximum (it stays below it on other topics);
OFF_TOPIC_RATIO = 0.3
# at least this many of them have a topic (one text says little), and at least this share of
# those is of that one topic.
MIN_TOPIC_EXAMPLES = 3
TOPIC_SHARE = 0.9
EXPLANATION_MODEL = "np-offline"


def explanation_type_row(creator_id: str, created_at: str) -> dict[str, Any]:
    """The `config/explanation_type.jsonl` row for these explanations."""
    return {
        "name": EXPLANATION_TYPE,
        "displayName": "Max activations and top logits (offline)",
        "description": (
            "Built from a feature's top activating tokens and its top positive logits "
            "(W_dec @ W_U)."
        ),
        "featured": False,
        "isAttention": False,
        "settings": None,
        "url": None,
        "creatorName": "Neuronpedia",
        "creatorId": creator_id,
        "explainerModelSettingsId": None,
        "createdAt": created_at,
        "updatedAt": created_at,
    }


def explanation_model_type_row(created_at: str) -> dict[str, Any]:
    """The `config/explanation_model_type.jsonl` row: no LLM, a fixed offline rule."""
    return {
        "name": EXPLANATION_MODEL,
        "displayName": "Offline (no LLM)",
        "description": (
            "Most frequent max-activating tokens and top logits, joined into a phrase by a fixed "
            "rule; needs no language model or network."
        ),
        "featured": False,
        "openRouterModelId": None,
        "url": None,
        "creatorName": "neuronpedia-django",
        "createdAt": created_at,
        "updatedAt": created_at,
    }


def explain(
    token_scores: Sequence[tuple[str, float]],
    top_logits: Sequence[str],
    lexicon: Mapping[str, frozenset[str]] | None = None,
    n_tokens: int = 4,
    n_logits: int = 3,
    examples: Sequence[tuple[float, Sequence[str]]] | None = None,
) -> str:
    """A short phrase for a feature.

    `token_scores` holds (token, score) pairs from the feature's top examples, where a higher
    score means the feature fired harder there (the caller weights activations by how rare the
    token is, so "the" does not win every feature); pairs of the same token add up. `top_logits`
    are the feature's top positive logit tokens, best first. Word tokens are preferred over
    punctuation and whitespace, which only show when nothing else is there. `examples` are
    (peak activation, tokens) of the feature's top and interval examples: with a lexicon, a topic
    is named when nearly all examples that reach OFF_TOPIC_RATIO of the highest peak are texts of
    that topic, whatever token the feature peaks on (see `selective_topic`): a feature that
    fires on "." only at the end of food sentences is a food feature. Without examples, the
    shown tokens must be the topic's words (`_lexicon_label`).
    """
    score: dict[str, float] = {}
    shown: dict[str, str] = {}
    for token, value in token_scores:
        key = _key(token)
        score[key] = score.get(key, 0.0) + value
        shown.setdefault(key, _display(token))
    ranked = sorted(score, key=lambda k: -score[k])  # stable: ties keep first-seen order
    words = [k for k in ranked if _is_word(k)] or ranked
    tokens = [shown[k] for k in words[:n_tokens]]
    logits = _distinct(top_logits, n_logits)
    parts = []
    if tokens:
        label = None
        if lexicon and examples is not None:
            label = selective_topic(examples, lexicon)
        elif lexicon:
            label = _lexicon_label(words, score, n_tokens, lexicon)
        parts.append((f"{label}: " if label else "") + ", ".join(tokens))
    if logits:
        parts.append("predicts " + ", ".join(logits))
    return "; ".join(parts)


def _key(token: str) -> str:
    return token.strip().lower() or token


def _is_word(key: str) -> bool:
    return any(c.isalnum() for c in key)


def _display(token: str) -> str:
    text = token.strip()
    if text and _is_word(text):
        return text
    # punctuation and whitespace are shown quoted, so "\n" reads as a newline token
    return json.dumps(text or token)


def _distinct(tokens: Sequence[str], n: int) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for token in tokens:
        key = _key(token)
        if _is_word(key) and key not in seen:
            seen.add(key)
            out.append(_display(token))
        if len(out) == n:
            break
    return out


def _lexicon_label(
    ranked: Sequence[str],
    score: Mapping[str, float],
    n_tokens: int,
    lexicon: Mapping[str, frozenset[str]],
) -> str | None:
    """The lexicon group the feature is selective for, if any: its best token is in the group,
    the group holds at least half (and two, when two are shown) of the `n_tokens` shown, and the
    group's words carry at least SELECTIVE_SHARE of the positive scores of all word tokens (a
    feature that fires on "the", "was" and one planet is not a space feature)."""
    shown = ranked[:n_tokens]
    hits = Counter(name for key in shown for name, words in lexicon.items() if key in words)
    if not hits:
        return None
    name, count = _most_common(hits)
    group = lexicon[name]
    total = sum(max(score[k], 0.0) for k in ranked)
    inside = sum(max(score[k], 0.0) for k in ranked if k in group)
    selective = total > 0 and inside / total >= SELECTIVE_SHARE
    enough = count >= min(2, len(shown)) and count * 2 >= len(shown)
    return name if shown[0] in group and enough and selective else None


def text_topic(tokens: Sequence[str], lexicon: Mapping[str, frozenset[str]]) -> str | None:
    """The lexicon group with the most words in `tokens` (None without any; ties: by name)."""
    hits = Counter(
        name for token in tokens for name, group in lexicon.items() if _key(token) in group
    )
    if not hits:
        return None
    return _most_common(hits)[0]


def selective_topic(
    examples: Sequence[tuple[float, Sequence[str]]], lexicon: Mapping[str, frozenset[str]]
) -> str | None:
    """The topic of nearly all strong examples: of the examples whose peak is at least
    OFF_TOPIC_RATIO of the highest and whose text has a topic (`text_topic`), at least
    MIN_TOPIC_EXAMPLES and TOPIC_SHARE are of that topic; None otherwise. (A window without any
    topic word, such as a greeting, says nothing either way.)"""
    top = max((peak for peak, _ in examples), default=0.0)
    strong = [tokens for peak, tokens in examples if top > 0 and peak >= OFF_TOPIC_RATIO * top]
    found = Counter(t for t in (text_topic(tokens, lexicon) for tokens in strong) if t)
    if not found:
        return None
    name, count = _most_common(found)
    total = sum(found.values())
    return name if count >= MIN_TOPIC_EXAMPLES and count >= TOPIC_SHARE * total else None


def _most_common(counts: Counter[str]) -> tuple[str, int]:
    """The (name, count) with the highest count; ties go to the first name alphabetically, so
    a label does not depend on the order examples came in."""
    return min(counts.items(), key=lambda item: (-item[1], item[0]))
