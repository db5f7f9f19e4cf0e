"""Server-side SVG charts: a title, labelled axes, role="img" and an aria-label; CSS classes, no style="".

Pure functions returning SVG text; every label is escaped here, so the result may be inserted as markup.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 36, 64


def _nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above value (at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _frame(title: str, x_label: str, y_label: str, y_max: float, body: list[str], y_percent: bool = False) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label={quoteattr(title)}>',
        f"<title>{escape(title)}</title>",
        f'<text class="chart-title" x="{WIDTH / 2:g}" y="20" text-anchor="middle">{escape(title)}</text>',
    ]
    for k in range(5):
        value = y_max * k / 4
        y = TOP + plot_h - plot_h * k / 4
        tick = f"{_fmt(value)}%" if y_percent else _fmt(value)
        parts.append(
            f'<line class="chart-grid" x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#d0d7de"/>'
        )
        parts.append(f'<text class="chart-tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    parts.extend(body)
    parts += [
        f'<line class="chart-axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
        'stroke="#57606a"/>',
        f'<line class="chart-axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#57606a"/>',
        f'<text class="chart-axis-label" x="{LEFT + plot_w / 2:g}" y="{HEIGHT - 8}" text-anchor="middle">'
        f"{escape(x_label)}</text>",
        f'<text class="chart-axis-label" x="14" y="{TOP + plot_h / 2:g}" text-anchor="middle" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2:g})">{escape(y_label)}</text>',
        "</svg>",
    ]
    return "\n".join(parts)


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    x_label: str,
    y_label: str,
    y_max: float | None = None,
    y_percent: bool = False,
) -> str:
    """One bar per label; a None value draws no bar. Each bar carries its own <title> as a tooltip."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = y_max if y_max is not None else _nice_max(max((v for v in values if v is not None), default=0.0))
    slot = plot_w / max(1, len(labels))
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + i * slot
        if value is not None:
            h = plot_h * max(0.0, min(value, top)) / top
            shown = f"{_fmt(value)}%" if y_percent else _fmt(value)
            body.append(
                f'<rect class="chart-bar" x="{x + slot * 0.1:.1f}" y="{TOP + plot_h - h:.1f}" '
                f'width="{slot * 0.8:.1f}" height="{h:.1f}" fill="#1f4e8c">'
                f"<title>{escape(label)}: {escape(shown)}</title></rect>"
            )
        body.append(
            f'<text class="chart-tick" x="{x + slot / 2:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    return _frame(title, x_label, y_label, top, body, y_percent)


def histogram_chart(title: str, bins: Sequence[tuple[float, float, int]], x_label: str, y_label: str) -> str:
    """Adjacent bars for (low, high, count) bins."""
    labels = [f"{_fmt(low)}–{_fmt(high)}" for low, high, _ in bins]
    return bar_chart(title, labels, [float(count) for _, _, count in bins], x_label, y_label)


@dataclass(frozen=True)
class Marker:
    """A vertical line at a moment of the x axis, e.g. the week's deadline, with its label."""

    day: date
    fraction: float  # of the day, 0 (midnight) to 1, in the zone the days are counted in
    label: str


def date_ticks(first: date, last: date, most: int = 8) -> list[date]:
    """Dates to label: every day, every 2nd day, or weekly on Mondays (then every 2nd, 4th Monday), so at
    most `most` labels fit under the chart; the first day is always labelled when nothing else would be."""
    days = (last - first).days + 1
    for step in (1, 2, 7, 14, 28, 56, 112, 364):
        if days <= step * most or step == 364:
            break
    if step < 7:
        return [first + timedelta(days=i) for i in range(0, days, step)]
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    ticks = [monday + timedelta(days=i) for i in range(0, (last - monday).days + 1, step)]
    return ticks or [first]


def tick_label(day: date) -> str:
    """'Mon 3 Nov': the weekday matters to a lecturer reading a week's rhythm."""
    return f"{day:%a} {day.day} {day:%b}"


def line_chart(
    title: str,
    points: Sequence[tuple[date, float]],
    x_label: str,
    y_label: str,
    *,
    markers: Sequence[Marker] = (),
    day_label: Callable[[date], str] = tick_label,
    empty: str = "No data yet",
) -> str:
    """A polyline over consecutive days (the caller gives every day, zeros included), one point per day at
    the middle of its slot, date ticks from date_ticks, and a dashed vertical line per marker.

    `day_label` names a tick's day and `empty` is said when there are no points: the page's language."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_max(max((v for _, v in points), default=0.0))
    body = []
    if points:
        first, last = points[0][0], points[-1][0]
        slot = plot_w / ((last - first).days + 1)

        def x_of(day: date, fraction: float = 0.5) -> float:
            return LEFT + slot * ((day - first).days + fraction)

        coords = [(x_of(day), TOP + plot_h - plot_h * value / top) for day, value in points]
        body.append(
            '<polyline class="chart-line" fill="none" stroke="#1f4e8c" stroke-width="2" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            + '"/>'
        )
        radius = 2.5 if len(points) <= 60 else 1.5
        for (day, value), (x, y) in zip(points, coords, strict=True):
            body.append(
                f'<circle class="chart-point" cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="#1f4e8c">'
                f"<title>{day.isoformat()}: {_fmt(value)}</title></circle>"
            )
        for day in date_ticks(first, last):
            x = x_of(day)
            body.append(
                f'<line class="chart-tick-mark" x1="{x:.1f}" y1="{TOP + plot_h}" x2="{x:.1f}" '
                f'y2="{TOP + plot_h + 4}" stroke="#57606a"/>'
            )
            body.append(
                f'<text class="chart-tick" x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
                f"{escape(day_label(day))}</text>"
            )
        for marker in markers:
            if not first <= marker.day <= last:
                continue
            x = x_of(marker.day, min(1.0, max(0.0, marker.fraction)))
            anchor = "end" if x > LEFT + plot_w / 2 else "start"
            shift = -4 if anchor == "end" else 4
            body.append(
                f'<line class="chart-marker" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_h}" '
                'stroke="#b42318" stroke-width="1.5" stroke-dasharray="5 3">'
                f"<title>{escape(marker.label)}</title></line>"
            )
            body.append(
                f'<text class="chart-marker-label" x="{x + shift:.1f}" y="{TOP + 12}" text-anchor="{anchor}">'
                f"{escape(marker.label)}</text>"
            )
    else:
        body.append(
            f'<text class="chart-empty" x="{WIDTH / 2:g}" y="{HEIGHT / 2:g}" text-anchor="middle">'
            f"{escape(empty)}</text>"
        )
    return _frame(title, x_label, y_label, top, body)
