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

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from features.models import Explanation
from features.pages.browse import explanation_order

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
    width: int = 300
    height: int = 80


@dataclass
class Dashboard:
    feature: dict[str, Any]
    examples: list[Example]
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


def histogram(values: Sequence[float], heights: Sequence[float], what: str) -> Histogram | None:
    """Bars of an SAEDashboard histogram (`*_bar_values` are bin centres, `*_bar_heights`
    counts); negative bins are red and positive blue, as upstream's logit histogram."""
    pairs = [(v, h) for v, h in zip(values, heights, strict=False) if h is not None]
    if not pairs:
        return None
    chart = Histogram(bars=[], x_min="", x_max="", y_max="", summary="")
    tallest = max(h for _, h in pairs) or 1.0
    step = chart.width / len(pairs)
    for i, (value, count) in enumerate(pairs):
        height = chart.height * count / tallest
        chart.bars.append(
            Bar(
                x=round(i * step, 2),
                y=round(chart.height - height, 2),
                width=round(max(step - 1, 0.5), 2),
                height=round(height, 2),
                fill="#c0392b" if value < 0 else "#2f6fde",
                label=f"{format_value(value)}: {count:g}",
            )
        )
    chart.x_min = format_value(pairs[0][0])
    chart.x_max = format_value(pairs[-1][0])
    chart.y_max = f"{tallest:g}"
    chart.summary = (
        f"{what} histogram: {len(pairs)} bins from {chart.x_min} to {chart.x_max}, "
        f"tallest bin {chart.y_max}."
    )
    return chart


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


def build_dashboard(feature: dict[str, Any], context_range: int | None) -> Dashboard:
    activations = feature.get("activations") or []
    # One scale for every example, so shades compare across them (and with maxActApprox).
    scale = max([a["maxValue"] for a in activations] + [feature.get("maxActApprox") or 0.0])
    default = feature["sourceSet"].get("defaultRange", 1)
    return Dashboard(
        feature=feature,
        examples=[example(a, scale, context_range) for a in activations[:MAX_EXAMPLES]],
        context_range=context_range,
        range_choices=sorted({default, *RANGE_CHOICES}),
        scale=scale,
        density=density(feature.get("frac_nonzero")),
        activation_histogram=histogram(
            feature.get("freq_hist_data_bar_values") or [],
            feature.get("freq_hist_data_bar_heights") or [],
            "Activation density",
        ),
        logits_histogram=histogram(
            feature.get("logits_hist_data_bar_values") or [],
            feature.get("logits_hist_data_bar_heights") or [],
            "Logit weight",
        ),
        top_logits=logits(feature.get("pos_str") or [], feature.get("pos_values") or []),
        bottom_logits=logits(feature.get("neg_str") or [], feature.get("neg_values") or []),
        explanations=feature.get("explanations") or [],
        similar=similar_features(feature),
    )
