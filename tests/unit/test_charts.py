"""The SVG charts parse as XML and carry a title, axis labels and an accessible name."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

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
    assert {"Mon 2 Mar", "Mon 9 Mar"} <= set(texts(root))


def test_days_are_spaced_evenly_so_a_gap_of_zeros_is_visible() -> None:
    points = [(date(2026, 3, 1) + timedelta(days=i), 0 if 3 <= i <= 20 else 5) for i in range(30)]
    root = parse(charts.line_chart("l", points, "day", "attempts"))
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 30
    xs = [float(c.get("cx")) for c in circles]
    steps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    assert max(steps) - min(steps) < 0.2  # one day, one step (to the SVG's 0.1 px)
    bottom = max(float(c.get("cy")) for c in circles)
    assert [float(c.get("cy")) for c in circles[3:21]] == [bottom] * 18  # the empty weeks sit on the axis


@pytest.mark.parametrize(
    ("first", "days", "most_labels", "weekly"),
    [
        (date(2026, 3, 2), 1, 1, False),
        (date(2026, 3, 2), 7, 7, False),
        (date(2026, 3, 2), 14, 7, False),  # every 2nd day
        (date(2026, 3, 4), 45, 8, True),  # weekly, on Mondays
        (date(2026, 1, 1), 200, 8, True),
    ],
)
def test_date_ticks_are_few_and_regular(first: date, days: int, most_labels: int, weekly: bool) -> None:
    last = first + timedelta(days=days - 1)
    ticks = charts.date_ticks(first, last)
    assert 1 <= len(ticks) <= most_labels
    assert all(first <= t <= last for t in ticks)
    assert len({(b - a).days for a, b in zip(ticks, ticks[1:], strict=False)}) <= 1
    if weekly:
        assert {t.weekday() for t in ticks} == {0}


def test_the_deadline_is_a_labelled_dashed_line_at_its_hour() -> None:
    points = [(date(2026, 3, 1) + timedelta(days=i), 3) for i in range(10)]
    marker = charts.Marker(date(2026, 3, 5), 0.5, "deadline 2026-03-05 12:00 CET")
    root = parse(charts.line_chart("l", points, "day", "attempts", markers=[marker]))
    lines = [line for line in root.iter(f"{SVG}line") if line.get("class") == "chart-marker"]
    assert len(lines) == 1 and lines[0].get("stroke-dasharray")
    assert "deadline 2026-03-05 12:00 CET" in texts(root)
    circles = {c.find(f"{SVG}title").text: float(c.get("cx")) for c in root.iter(f"{SVG}circle")}
    # each day's point sits at its noon, so a noon deadline crosses the point of its day
    assert float(lines[0].get("x1")) == pytest.approx(circles["2026-03-05: 3"], abs=0.1)


@pytest.mark.parametrize(("value", "expected"), [(0, 1), (1, 1), (7, 10), (11, 20), (240, 250), (5000, 5000)])
def test_axis_tops_are_round_numbers(value: float, expected: float) -> None:
    assert charts._nice_max(value) == expected
