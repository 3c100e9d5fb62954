"""The feature dashboard's display pieces (features.pages.feature), on plain values."""

from __future__ import annotations

from features.pages.feature import (
    axis_ticks,
    format_tick,
    histogram,
    parse_range,
    shade,
    window,
)


def test_shade_scales_values_into_alpha_and_marks_the_max() -> None:
    tokens = shade(["a", "b", "c", "\n"], [1.0, 4.0, -2.0, 0.0], scale=8.0)
    assert [t.alpha for t in tokens] == [0.125, 0.5, 0.0, 0.0]
    assert [t.is_max for t in tokens] == [False, True, False, False]
    assert tokens[3].text == "↵" and tokens[3].is_break
    assert [t.shade for t in tokens] == [3, 10, 0, 0]  # of 20 steps; 2.5 rounds up
    assert tokens[2].label == "-2.000"
    # Any value above zero shows, however small.
    assert shade(["a"], [0.001], scale=8.0)[0].shade == 1


def test_shade_caps_alpha_at_one_and_handles_a_zero_scale() -> None:
    assert shade(["a"], [9.0], scale=3.0)[0].alpha == 1.0
    assert shade(["a"], [1.0], scale=0.0)[0].alpha == 0.0


def test_window_keeps_radius_tokens_each_side_of_the_center() -> None:
    assert window(10, 5, 2) == (3, 8)
    assert window(10, 0, 2) == (0, 3)
    assert window(10, 9, 3) == (6, 10)
    assert window(10, 5, None) == (0, 10)
    assert window(0, 0, 1) == (0, 0)


def test_parse_range_takes_counts_all_or_the_default() -> None:
    assert parse_range(None, 3) == 3
    assert parse_range("10", 3) == 10
    assert parse_range("all", 3) is None
    assert parse_range("junk", 3) == 3
    assert parse_range("-4", 3) == 0


def test_histogram_bars_fill_the_chart_height_and_colour_by_sign() -> None:
    chart = histogram([-1.0, 0.5, 2.0], [2, 4, 1], "Logit weight", "Logit weight", "Tokens")
    assert chart is not None
    assert [b.height for b in chart.bars] == [40.0, 80.0, 20.0]
    assert [b.fill for b in chart.bars] == ["#c0392b", "#2f6fde", "#2f6fde"]
    assert chart.bars[1].label == "0.500: 4"
    assert chart.summary == (
        "Logit weight histogram: 3 bins of logit weight from -1.000 to 2.000; "
        "the tallest bin holds 4 tokens."
    )
    assert histogram([], [], "x", "x", "y") is None


def test_histogram_axes_carry_round_ticks_inside_the_range() -> None:
    chart = histogram([-1.0, 0.5, 2.0], [2, 4, 1], "Logit weight", "Logit weight", "Tokens")
    assert chart is not None
    assert [t.label for t in chart.x_ticks] == ["-1", "-0.5", "0", "0.5", "1", "1.5", "2"]
    # The first and last ticks sit at the centres of the first and last bars.
    first, last = chart.bars[0], chart.bars[-1]
    assert chart.x_ticks[0].position == round(first.x + (first.width + 1) / 2, 2)
    assert chart.x_ticks[-1].position == round(last.x + (last.width + 1) / 2, 2)
    # y ticks from 0 up to the tallest bin, 0 on the axis and 4 at the top of the tallest bar.
    assert [t.label for t in chart.y_ticks] == ["0", "1", "2", "3", "4"]
    assert chart.y_ticks[0].position == chart.axis_y
    assert chart.y_ticks[-1].position == chart.bars[1].y
    assert (chart.x_label, chart.y_label) == ("Logit weight", "Tokens")


def test_axis_ticks_are_round_numbers() -> None:
    assert axis_ticks(0, 4337, 3) == [0, 2000, 4000]
    assert axis_ticks(0.062, 5.688, 5) == [1, 2, 3, 4, 5]
    assert format_tick(12000) == "12k" and format_tick(0.25) == "0.25"
