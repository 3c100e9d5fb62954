"""The feature dashboard: what `/{modelId}/{layer}/{index}` shows.

Two steps, so the page and the feature API share one data shape:

1. `features.feature_detail.get_feature()` reads the feature as the feature API returns it
   (`GET /api/feature/{modelId}/{layer}/{index}`: the whole Neuron row by column name, plus
   `model`, `source`, `sourceSet`, `creator`, `lists`, `comments`, public `activations` and
   `explanations` with `scores`).
2. `build_dashboard()` turns that dict into display-ready pieces: shaded tokens in a context
   window around each example's max token, histogram bars, logit tables, explanations with
   scores, similar features.

Step 2 is pure (no queries but the similar features' explanations), so it works on the API's
own dict as well.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from features.autointerp import (
    EMBEDDING_SCORE_MODEL,
    EMBEDDING_SCORER,
    EXPLAINER_TYPES,
    SCORER_TYPES,
)
from features.models import (
    Bookmark,
    Explanation,
    ExplanationModelType,
    ExplanationScoreModel,
    ExplanationScoreType,
    ExplanationType,
    Feature,
    Vote,
)
from features.pages.browse import explanation_order
from neuronpedia_site.models import User

MAX_EXAMPLES = 100  # top activating examples rendered on the page
MAX_LOGITS = 10  # rows in each of the top and bottom logit tables
MAX_SIMILAR = 10
RANGE_CHOICES = (1, 3, 5, 10, 20, 40)  # context widths offered besides the set's default
# Tokens are shaded by value / max value in SHADE_LEVELS steps, as CSS classes `shade-1` ..
# `shade-20` (static/css/site.css holds the colour): the Content-Security-Policy allows no
# inline style attributes. static/js/np.js shades the test box the same way.
SHADE_LEVELS = 20
BREAK_TOKENS = {"\n", "\r\n", "\r"}


# 2. Display pieces ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    text: str
    value: float
    alpha: float
    is_max: bool = False
    is_break: bool = False

    @property
    def shade(self) -> int:
        """The shading step, 1..SHADE_LEVELS (0: unshaded); any value above zero shows."""
        return max(1, math.floor(self.alpha * SHADE_LEVELS + 0.5)) if self.alpha > 0 else 0  # as JS

    @property
    def label(self) -> str:
        return format_value(self.value)


@dataclass
class Example:
    tokens: list[Token]
    max_value: float
    hidden_before: int = 0
    hidden_after: int = 0
    data_source: str | None = None


@dataclass
class Section:
    """One labelled group of examples: the top activations, or one subsample interval."""

    key: str  # "top" or "interval-N": the element id on the page
    title: str
    subtitle: str
    examples: list[Example]
    repeated: int = 0  # examples left out because an earlier section shows the same text
    shown_first: int = 10  # the rest wait behind "show more"

    @property
    def more(self) -> int:
        return max(0, len(self.examples) - self.shown_first)


@dataclass(frozen=True)
class Tick:
    position: float  # x or y in the chart's coordinates
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    label: str


@dataclass
class Histogram:
    bars: list[Bar]
    x_min: str
    x_max: str
    y_max: str
    summary: str
    x_label: str = ""
    y_label: str = ""
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    # The plot area inside the SVG: axes and tick labels sit in the margins.
    width: int = 300
    height: int = 80
    left: int = 44
    bottom: int = 34
    top: int = 16  # room for the y axis label

    @property
    def view_width(self) -> int:
        return self.left + self.width + 8

    @property
    def view_height(self) -> int:
        return self.top + self.height + self.bottom

    @property
    def axis_y(self) -> int:
        return self.top + self.height


@dataclass
class Dashboard:
    feature: dict[str, Any]
    sections: list[Section]
    context_range: int | None  # tokens either side of the max token; None shows everything
    range_choices: list[int]
    scale: float  # the value that gets full shading
    density: str | None
    activation_histogram: Histogram | None
    logits_histogram: Histogram | None
    top_logits: list[tuple[str, str]]
    bottom_logits: list[tuple[str, str]]
    explanations: list[dict[str, Any]]
    similar: list[dict[str, Any]] = field(default_factory=list)
    metadata: list[tuple[str, str]] = field(default_factory=list)

    @property
    def example_count(self) -> int:
        return sum(len(section.examples) for section in self.sections)


def format_value(value: float) -> str:
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def shade(tokens: Sequence[str], values: Sequence[float], scale: float) -> list[Token]:
    """Tokens with alpha = value / scale, clamped to [0, 1] (negative values stay unshaded)."""
    top = max(range(len(values)), key=values.__getitem__) if values else -1
    out = []
    for i, (text, value) in enumerate(zip(tokens, values, strict=False)):
        alpha = min(max(value / scale, 0.0), 1.0) if scale > 0 else 0.0
        is_break = text in BREAK_TOKENS
        out.append(Token("↵" if is_break else text, value, alpha, i == top, is_break))
    return out


def window(length: int, center: int, radius: int | None) -> tuple[int, int]:
    """`[start, end)` of the tokens within `radius` of `center` (everything for None)."""
    if radius is None:
        return 0, length
    center = min(max(center, 0), max(length - 1, 0))
    return max(0, center - radius), min(length, center + radius + 1)


def example(activation: dict[str, Any], scale: float, radius: int | None) -> Example:
    tokens = shade(activation["tokens"], activation["values"], scale)
    start, end = window(len(tokens), activation.get("maxValueTokenIndex") or 0, radius)
    return Example(
        tokens=tokens[start:end],
        max_value=activation["maxValue"],
        hidden_before=start,
        hidden_after=len(tokens) - end,
        data_source=activation.get("dataSource"),
    )


X_TICKS = 5


def nice_step(span: float, count: int) -> float:
    """The round tick step (1, 2 or 5 times a power of ten) giving closest to `count` steps."""
    if span <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(span / max(count, 1)))
    steps = [m * power for m in (1, 2, 5, 10)]
    return min(steps, key=lambda step: abs(span / step - count))


def axis_ticks(low: float, high: float, count: int) -> list[float]:
    """Round values from `low` to `high` (both within), about `count` of them."""
    step = nice_step(high - low, count)
    first = math.ceil(low / step - 1e-9) * step
    values = []
    value = first
    while value <= high + step * 1e-6:
        values.append(round(value, 10))
        value += step
    return values or [low]


def histogram(
    values: Sequence[float], heights: Sequence[float], what: str, x_label: str, y_label: str
) -> Histogram | None:
    """Bars of an SAEDashboard histogram (`*_bar_values` are bin centres, `*_bar_heights`
    counts), with labelled axes and round ticks; negative bins are red and positive blue, as
    upstream's logit histogram."""
    pairs = [(v, h) for v, h in zip(values, heights, strict=False) if h is not None]
    if not pairs:
        return None
    chart = Histogram(bars=[], x_min="", x_max="", y_max="", summary="")
    chart.x_label, chart.y_label = x_label, y_label
    tallest = max(h for _, h in pairs) or 1.0
    step = chart.width / len(pairs)
    for i, (value, count) in enumerate(pairs):
        height = chart.height * count / tallest
        chart.bars.append(
            Bar(
                x=round(chart.left + i * step, 2),
                y=round(chart.top + chart.height - height, 2),
                width=round(max(step - 1, 0.5), 2),
                height=round(height, 2),
                fill="#c0392b" if value < 0 else "#2f6fde",
                label=f"{format_value(value)}: {count:g}",
            )
        )
    low, high = pairs[0][0], pairs[-1][0]
    # Bin centres sit in the middle of their bars: value v is at this x.
    span = (high - low) or 1.0
    inner = chart.width - step

    def x_of(value: float) -> float:
        return round(chart.left + step / 2 + (value - low) / span * inner, 2)

    chart.x_ticks = [Tick(x_of(v), format_tick(v)) for v in axis_ticks(low, high, X_TICKS)]
    chart.y_ticks = [
        Tick(round(chart.top + chart.height - chart.height * v / tallest, 2), format_tick(v))
        for v in axis_ticks(0, tallest, 3)
    ]
    chart.x_min = format_value(low)
    chart.x_max = format_value(high)
    chart.y_max = f"{tallest:g}"
    chart.summary = (
        f"{what} histogram: {len(pairs)} bins of {x_label.lower()} from {chart.x_min} to "
        f"{chart.x_max}; the tallest bin holds {chart.y_max} {y_label.lower()}."
    )
    return chart


def format_tick(value: float) -> str:
    """A tick label: short, no trailing zeros (12k for 12000)."""
    if abs(value) >= 10000:
        return f"{value / 1000:g}k"
    return f"{value:.4g}"


def density(frac_nonzero: float | None) -> str | None:
    if not frac_nonzero:
        return None
    return f"{frac_nonzero * 100:.3g}%"


def logits(strings: Sequence[str], values: Sequence[float]) -> list[tuple[str, str]]:
    return [(s, format_value(v)) for s, v in list(zip(strings, values, strict=False))[:MAX_LOGITS]]


def similar_features(feature: dict[str, Any]) -> list[dict[str, Any]]:
    """Nearest decoder directions (`topkCosSimIndices/Values`, indexes in the same source),
    each with its top explanation. One query."""
    pairs = list(
        zip(
            feature.get("topkCosSimIndices") or [],
            feature.get("topkCosSimValues") or [],
            strict=False,
        )
    )
    pairs = [(str(i), v) for i, v in pairs if str(i) != str(feature["index"])][:MAX_SIMILAR]
    if not pairs:
        return []
    described: dict[str, str] = {}
    rows = (
        Explanation.objects.filter(
            model_id=feature["modelId"], layer=feature["layer"], index__in=[i for i, _ in pairs]
        )
        .order_by(*explanation_order())
        .values_list("index", "description")
    )
    for index, description in rows:
        described.setdefault(index, description)
    return [
        {
            "index": index,
            "value": format_value(value),
            "url": f"/{feature['modelId']}/{feature['layer']}/{index}",
            "description": described.get(index),
        }
        for index, value in pairs
    ]


def parse_range(raw: str | None, default: int) -> int | None:
    """The `?range=` parameter: a token count, or "all" (None)."""
    if raw is None or raw == "":
        return default
    if raw == "all":
        return None
    try:
        return min(max(int(raw), 0), 4096)
    except ValueError:
        return default


TOP_SHOWN_FIRST = 10  # top activations shown before "show more"
INTERVAL_SHOWN_FIRST = 3  # examples of each subsample interval shown before "show more"


def is_top(activation: dict[str, Any]) -> bool:
    """Upstream stores top activations with `binMin` -1 (or none); the rest are quantile
    samples of the interval [binMin, binMax)."""
    return activation.get("binMin") is None or activation["binMin"] < 0


def example_sections(
    activations: Sequence[dict[str, Any]], scale: float, radius: int | None
) -> list[Section]:
    """The top activations, then each subsample interval (highest first), each labelled; a
    text already shown in an earlier section is left out of later ones (the top interval's
    samples are usually top activations too)."""
    seen: set[tuple[str, ...]] = set()

    def fresh(rows: Sequence[dict[str, Any]]) -> tuple[list[Example], int]:
        kept, repeated = [], 0
        for row in rows:
            key = tuple(row["tokens"])
            if key in seen:
                repeated += 1
                continue
            seen.add(key)
            kept.append(example(row, scale, radius))
        return kept[:MAX_EXAMPLES], repeated

    top_rows = [a for a in activations if is_top(a)]
    intervals: dict[tuple[float, float], list[dict[str, Any]]] = {}
    for row in activations:
        if not is_top(row):
            intervals.setdefault((row["binMin"], row.get("binMax") or 0.0), []).append(row)
    sections = []
    if top_rows or not intervals:
        kept, repeated = fresh(top_rows)
        sections.append(
            Section("top", "Top activations", "The texts where this feature fires most.", kept)
        )
        sections[-1].repeated = repeated
    ordered = sorted(intervals.items(), key=lambda item: item[0][1], reverse=True)
    for number, ((low, high), rows) in enumerate(ordered, start=1):
        kept, repeated = fresh(rows)
        share = rows[0].get("binContains")
        subtitle = f"Random texts whose max activation is between {format_value(low)} and " + (
            f"{format_value(high)}"
        )
        if isinstance(share, float) and 0 <= share <= 1:
            subtitle += f" ({share * 100:.3g}% of the texts where it fires)"
        section = Section(
            f"interval-{number}",
            f"Subsample interval {number}",
            subtitle + ".",
            kept,
            repeated,
            INTERVAL_SHOWN_FIRST,
        )
        sections.append(section)
    return sections


def source_metadata(feature: dict[str, Any]) -> list[tuple[str, str]]:
    """What the SAE is and where it came from, as (label, value) rows: the source's SAELens
    config (hook point, architecture, sizes, k, dtype) and provenance columns."""
    source = feature.get("source") or {}
    config = source.get("saelensConfig") or {}
    meta = config.get("metadata") or {}
    k = config.get("k") or (config.get("activation_fn_kwargs") or {}).get("k")
    rows = [
        ("Hook point", meta.get("hook_name") or config.get("hook_name")),
        ("Architecture", config.get("architecture")),
        ("d_sae", config.get("d_sae")),
        ("d_in", config.get("d_in")),
        ("k", k),
        ("dtype", config.get("dtype")),
        ("SAELens release", source.get("saelensRelease")),
        ("SAELens id", source.get("saelensSaeId")),
        ("Hugging Face", source.get("hfRepoId")),
        ("Dataset", source.get("dataset")),
        ("Notes", source.get("notes")),
    ]
    return [(label, str(value)) for label, value in rows if value not in (None, "")]


def neighbours(feature: dict[str, Any]) -> tuple[str | None, str | None]:
    """The indexes just before and after this one in its source, where those features exist."""
    try:
        index = int(feature["index"])
    except (TypeError, ValueError):
        return None, None
    found = set(
        Feature.objects.filter(
            model_id=feature["modelId"],
            layer=feature["layer"],
            index__in=[str(index - 1), str(index + 1)],
        ).values_list("index", flat=True)
    )
    before, after = str(index - 1), str(index + 1)
    return (before if before in found else None), (after if after in found else None)


@dataclass
class ViewerState:
    """What the signed-in viewer has done to this feature: bookmark and votes."""

    bookmarked: bool = False
    votes: dict[str, int] = field(default_factory=dict)  # explanation id -> votes
    voted: set[str] = field(default_factory=set)  # explanation ids the viewer voted for


def viewer_state(feature: dict[str, Any], user: User | None) -> ViewerState:
    ids = [e["id"] for e in feature.get("explanations") or []]
    state = ViewerState()
    for explanation_id, count in (
        Vote.objects.filter(explanation_id__in=ids)
        .values_list("explanation_id")
        .annotate(n=Count("id"))
    ):
        state.votes[explanation_id] = count
    if user is not None:
        key = {"model_id": feature["modelId"], "layer": feature["layer"], "index": feature["index"]}
        state.bookmarked = Bookmark.objects.filter(user=user, **key).exists()
        state.voted = set(
            Vote.objects.filter(explanation_id__in=ids, voter=user).values_list(
                "explanation_id", flat=True
            )
        )
    return state


def build_dashboard(feature: dict[str, Any], context_range: int | None) -> Dashboard:
    activations = feature.get("activations") or []
    # One scale for every example, so shades compare across them (and with maxActApprox).
    scale = max([a["maxValue"] for a in activations] + [feature.get("maxActApprox") or 0.0])
    default = feature["sourceSet"].get("defaultRange", 1)
    return Dashboard(
        feature=feature,
        sections=example_sections(activations, scale, context_range),
        context_range=context_range,
        range_choices=sorted({default, *RANGE_CHOICES}),
        scale=scale,
        density=density(feature.get("frac_nonzero")),
        activation_histogram=histogram(
            feature.get("freq_hist_data_bar_values") or [],
            feature.get("freq_hist_data_bar_heights") or [],
            "Activation density",
            "Activation value",
            "Tokens",
        ),
        logits_histogram=histogram(
            feature.get("logits_hist_data_bar_values") or [],
            feature.get("logits_hist_data_bar_heights") or [],
            "Logit weight",
            "Logit weight",
            "Vocabulary tokens",
        ),
        top_logits=logits(feature.get("pos_str") or [], feature.get("pos_values") or []),
        bottom_logits=logits(feature.get("neg_str") or [], feature.get("neg_values") or []),
        explanations=feature.get("explanations") or [],
        similar=similar_features(feature),
        metadata=source_metadata(feature),
    )


@dataclass
class AutointerpChoices:
    """What the feature page offers to generate and score explanations with (the config rows
    the API accepts, features.autointerp)."""

    explainers: list[str]
    explainer_models: list[str]
    scorers: list[str]
    scorer_models: list[str]
    embedding_scorer: str = EMBEDDING_SCORER


def autointerp_choices() -> AutointerpChoices:
    seeded_scorers = set(
        ExplanationScoreType.objects.filter(name__in=SCORER_TYPES).values_list("name", flat=True)
    )
    return AutointerpChoices(
        explainers=sorted(
            ExplanationType.objects.filter(name__in=list(EXPLAINER_TYPES)).values_list(
                "name", flat=True
            )
        ),
        explainer_models=list(
            ExplanationModelType.objects.order_by("-featured", "name").values_list(
                "name", flat=True
            )
        ),
        scorers=[name for name in SCORER_TYPES if name in seeded_scorers],
        scorer_models=list(
            ExplanationScoreModel.objects.exclude(name=EMBEDDING_SCORE_MODEL)
            .order_by("name")
            .values_list("name", flat=True)
        ),
    )


@dataclass(frozen=True)
class ScoredExample:
    """One example a scorer judged: what it was, what the scorer expected and answered."""

    kind: str  # "activating", "not activating", "top", "zero", "decoy"
    text: str
    expected: str
    answered: str
    correct: bool | None


def _joined(tokens: Any) -> str:
    return "".join(str(t) for t in tokens) if isinstance(tokens, list) else str(tokens or "")


def score_breakdown(json_details: str | None) -> list[ScoredExample]:
    """The per-example rows of an ExplanationScore's `jsonDetails` (docs/autointerp.md): the
    eleuther scorers' list, or recall_alt's `{top, zero, decoy}`."""
    try:
        details = json.loads(json_details or "null")
    except ValueError:
        return []
    rows = []
    if isinstance(details, list):
        for item in details:
            if not isinstance(item, dict):
                continue
            text = _joined(item.get("str_tokens")) or str(item.get("text") or "")
            activating = bool(item.get("ground_truth", (item.get("distance") or 0) >= 0))
            if "similarity" in item:
                answered = f"similarity {float(item['similarity']):.3f}"
                correct = None
            else:
                answered = "fits" if item.get("prediction") else "does not fit"
                correct = bool(item.get("correct"))
            kind = "activating" if activating else "not activating"
            expected = "fits" if activating else "does not fit"
            rows.append(ScoredExample(kind, text, expected, answered, correct))
    elif isinstance(details, dict):
        for kind in ("top", "zero", "decoy"):
            for item in details.get(kind) or []:
                if not isinstance(item, dict):
                    continue
                wanted = kind == "top"
                match = bool(item.get("match"))
                rows.append(
                    ScoredExample(
                        kind,
                        _joined(item.get("tokens")),
                        "match" if wanted else "no match",
                        "match" if match else "no match",
                        match == wanted,
                    )
                )
    return rows


def annotated_explanations(
    explanations: Sequence[dict[str, Any]], state: ViewerState
) -> list[dict[str, Any]]:
    """The explanations with their vote count, whether the viewer voted, and each score's
    per-example breakdown (`scoreRows`)."""
    out = []
    for explanation in explanations:
        scores = [
            {**s, "rows": score_breakdown(s.get("jsonDetails"))}
            for s in explanation.get("scores") or []
        ]
        out.append(
            {
                **explanation,
                "voteCount": state.votes.get(explanation["id"], 0),
                "viewerVoted": explanation["id"] in state.voted,
                "scoreRows": scores,
            }
        )
    return out
