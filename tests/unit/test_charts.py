"""The SVG charts parse as XML and carry a title, axis labels and an accessible name."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from quizserver import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


CHARTS = [
    pytest.param(
        lambda: charts.histogram_chart("Scores <week 1>", [(0, 50, 3), (50, 100, 7)], "score (%)", "students"),
        "Scores <week 1>", "score (%)", "students", id="histogram",
    ),
    pytest.param(
        lambda: charts.bar_chart("Facility & more", ["Q1", "Q2", "Q3"], [40.0, None, 95.5], "question", "facility (%)",
                                 y_max=100, y_percent=True),
        "Facility & more", "question", "facility (%)", id="bar",
    ),
    pytest.param(
        lambda: charts.line_chart("Attempts per day", [(date(2026, 3, 2), 10), (date(2026, 3, 5), 40)],
                                  "day", "attempts"),
        "Attempts per day", "day", "attempts", id="line",
    ),
    pytest.param(
        lambda: charts.line_chart("Nothing yet", [], "day", "attempts"),
        "Nothing yet", "day", "attempts", id="empty-line",
    ),
]


@pytest.mark.parametrize(("make", "title", "x_label", "y_label"), CHARTS)
def test_chart_is_valid_svg_with_title_and_axis_labels(make, title: str, x_label: str, y_label: str) -> None:
    svg = make()
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label") == title
    assert root.find(f"{SVG}title").text == title
    assert {title, x_label, y_label} <= set(texts(root))
    assert "style=" not in svg  # the CSP forbids inline styles


def test_bars_scale_to_their_values_and_skip_missing_ones() -> None:
    root = parse(charts.bar_chart("t", ["a", "b", "c"], [50.0, None, 100.0], "x", "y", y_max=100))
    heights = [float(r.get("height")) for r in root.iter(f"{SVG}rect")]
    assert len(heights) == 2
    assert heights[1] == pytest.approx(2 * heights[0])
    assert [r.find(f"{SVG}title").text for r in root.iter(f"{SVG}rect")] == ["a: 50", "c: 100"]


def test_histogram_labels_each_bin() -> None:
    root = parse(charts.histogram_chart("h", [(0, 10, 1), (10, 20, 0)], "x", "y"))
    assert {"0–10", "10–20"} <= set(texts(root))


def test_line_chart_marks_every_day_given() -> None:
    points = [(date(2026, 3, day), day * 2) for day in (2, 3, 9)]
    root = parse(charts.line_chart("l", points, "day", "attempts"))
    circles = list(root.iter(f"{SVG}circle"))
    assert [c.find(f"{SVG}title").text for c in circles] == ["2026-03-02: 4", "2026-03-03: 6", "2026-03-09: 18"]
    xs = [float(c.get("cx")) for c in circles]
    assert xs == sorted(xs) and xs[0] < xs[-1]
    assert {"2026-03-02", "2026-03-09"} <= set(texts(root))


@pytest.mark.parametrize(("value", "expected"), [(0, 1), (1, 1), (7, 10), (11, 20), (240, 250), (5000, 5000)])
def test_axis_tops_are_round_numbers(value: float, expected: float) -> None:
    assert charts._nice_max(value) == expected
