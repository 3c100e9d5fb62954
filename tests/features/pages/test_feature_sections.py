"""The feature page's example sections: top activations and each subsample interval, labelled
and without repeating a text (features.pages.feature.example_sections), on the page too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from features.pages.feature import example_sections
from tests.support.factories import make_activation
from tests.support.seed import EXAMPLE_TOKENS, EXAMPLE_VALUES, Site


def _row(tokens: list[str], top: float, bin_min: float | None, bin_max: float | None = None,
         share: float | None = None) -> dict[str, Any]:  # fmt: skip
    values = [0.0] * (len(tokens) - 1) + [top]
    return {
        "tokens": tokens,
        "values": values,
        "maxValue": top,
        "maxValueTokenIndex": len(tokens) - 1,
        "binMin": bin_min,
        "binMax": bin_max,
        "binContains": share,
    }


def test_top_activations_and_intervals_are_separate_highest_interval_first() -> None:
    rows = [
        _row(["a", " dino"], 5.5, -1, 5.7, -1),
        _row(["b", " rex"], 5.1, -1, 5.7, -1),
        _row(["c", " fossil"], 1.5, 1.0, 2.0, 0.25),
        _row(["d", " bone"], 4.5, 4.0, 5.7, 0.02),
    ]
    sections = example_sections(rows, scale=5.5, radius=None)
    assert [s.title for s in sections] == [
        "Top activations",
        "Subsample interval 1",
        "Subsample interval 2",
    ]
    assert [[e.max_value for e in s.examples] for s in sections] == [[5.5, 5.1], [4.5], [1.5]]
    assert sections[1].subtitle == (
        "Random texts whose max activation is between 4.000 and 5.700 (2% of the texts where "
        "it fires)."
    )
    assert [s.key for s in sections] == ["top", "interval-1", "interval-2"]


def test_a_text_already_in_the_top_activations_is_left_out_of_the_intervals() -> None:
    rows = [
        _row(["a", " dino"], 5.5, -1, 5.7),
        _row(["a", " dino"], 5.5, 5.0, 5.7, 0.01),  # the top interval samples the same text
        _row(["e", " egg"], 5.2, 5.0, 5.7, 0.01),
    ]
    top, interval = example_sections(rows, scale=5.5, radius=None)
    assert [e.max_value for e in top.examples] == [5.5]
    assert [e.max_value for e in interval.examples] == [5.2]
    assert interval.repeated == 1


def test_rows_without_bins_are_top_activations() -> None:
    (only,) = example_sections([_row(["x"], 1.0, None)], scale=1.0, radius=None)
    assert only.key == "top" and len(only.examples) == 1
    # No activations at all still gives the (empty) top section, which says so on the page.
    (empty,) = example_sections([], scale=1.0, radius=None)
    assert empty.key == "top" and empty.examples == []


@pytest.mark.django_db
def test_the_page_labels_each_section_and_shows_a_text_once(site: Site) -> None:
    make_activation(site.feature, [0.0, 2.5], ["Fossils", " abound"], bin_min=2.0, bin_max=3.0,
                    bin_contains=0.4)  # fmt: skip
    # The same text as the first top activation, sampled again for the interval [3, 4).
    make_activation(site.feature, EXAMPLE_VALUES, EXAMPLE_TOKENS, bin_min=3.0,
                    bin_max=4.0, bin_contains=0.1)  # fmt: skip
    page = Client().get("/gpt2-small/6-res-jb/7?range=all").content.decode()
    headings = re.findall(r'<h2 id="(top|interval-\d)-h">([^<]*)<', page)
    assert headings == [
        ("top", "Top activations "),
        ("interval-1", "Subsample interval 1 "),
        ("interval-2", "Subsample interval 2 "),
    ]
    assert "1 text already shown above is left out." in page
    assert page.count('title="4.000"') == 1  # the dinosaur text once
    assert "between 2.000 and 3.000 (40% of the texts where it fires)" in page


@pytest.mark.django_db
def test_long_sections_show_the_first_examples_and_a_show_more_button(site: Site) -> None:
    for i in range(12):
        make_activation(site.feature, [0.0, 1.0 + i / 100], ["x", f" t{i}"])
    page = Client().get("/gpt2-small/6-res-jb/7").content.decode()
    top = page[page.index('id="top"') : page.index("</section>", page.index('id="top"'))]
    assert top.count('<li class="example"') == 14
    assert top.count("hidden data-more") == 4  # 10 shown first
    assert '<button type="button" class="secondary show-more" data-section="top"' in top
    assert "Show 4 more" in top
