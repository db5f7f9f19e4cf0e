"""Server-side SVG charts: a title, labelled axes, role="img" and an aria-label; CSS classes, no style="".

Pure functions returning SVG text; every label is escaped here, so the result may be inserted as markup.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
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


def line_chart(title: str, points: Sequence[tuple[date, float]], x_label: str, y_label: str) -> str:
    """A polyline over dates (one point per day given, in order), with the first and last date labelled."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_max(max((v for _, v in points), default=0.0))
    body = []
    if points:
        first, last = points[0][0], points[-1][0]
        span = max(1, (last - first).days)
        coords = [
            (LEFT + plot_w * (day - first).days / span, TOP + plot_h - plot_h * value / top) for day, value in points
        ]
        body.append(
            '<polyline class="chart-line" fill="none" stroke="#1f4e8c" stroke-width="2" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            + '"/>'
        )
        for (day, value), (x, y) in zip(points, coords, strict=True):
            body.append(
                f'<circle class="chart-point" cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#1f4e8c">'
                f"<title>{day.isoformat()}: {_fmt(value)}</title></circle>"
            )
        body.append(
            f'<text class="chart-tick" x="{LEFT}" y="{TOP + plot_h + 16}" text-anchor="start">'
            f"{first.isoformat()}</text>"
        )
        if last != first:
            body.append(
                f'<text class="chart-tick" x="{LEFT + plot_w}" y="{TOP + plot_h + 16}" text-anchor="end">'
                f"{last.isoformat()}</text>"
            )
    else:
        body.append(
            f'<text class="chart-empty" x="{WIDTH / 2:g}" y="{HEIGHT / 2:g}" text-anchor="middle">No data yet</text>'
        )
    return _frame(title, x_label, y_label, top, body)
