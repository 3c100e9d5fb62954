"""The feature dashboard's display pieces (features.pages.feature), on plain values."""

from __future__ import annotations

from features.pages.feature import histogram, parse_range, shade, window


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
    chart = histogram([-1.0, 0.5, 2.0], [2, 4, 1], "Logit weight")
    assert chart is not None
    assert [b.height for b in chart.bars] == [40.0, 80.0, 20.0]
    assert [b.fill for b in chart.bars] == ["#c0392b", "#2f6fde", "#2f6fde"]
    assert chart.bars[1].label == "0.500: 4"
    assert chart.summary == "Logit weight histogram: 3 bins from -1.000 to 2.000, tallest bin 4."
    assert histogram([], [], "x") is None
