"""Gradebook rows as ready HTML: twelve thousand cells through Jinja cost more than the SQL behind them."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

from flask_babel import gettext
from markupsafe import Markup, escape

from quizserver import localtime

from .queries import GradebookRow

EMPTY_CELL = '<td class="empty"><span aria-hidden="true">–</span><span class="visually-hidden">no work</span></td>'
# five bands of score; the cell always shows the number too, so the colour only helps the eye scan
SCORE_BANDS = (20.0, 40.0, 60.0, 80.0)
PAGE_SIZES = (50, 100, 300)
DEFAULT_PAGE_SIZE = 100


def score_band(percent: float) -> int:
    """0 (below 20 %) to 4 (80 % and more): the cell's colour class."""
    return sum(percent >= edge for edge in SCORE_BANDS)


@dataclass(frozen=True)
class GradebookLayout:
    weeks: Sequence[int]
    total_points: int
    student_url: str  # ends where the user id is appended
    tz: tzinfo
    detailed: bool = False  # second lines: e-mail, solved / attempted


def _cell(percent: float, detail: str, layout: GradebookLayout, title: str, kind: str = "score") -> str:
    second = f"<small>{detail}</small>" if layout.detailed else ""
    return f'<td class="{kind} s{score_band(percent)}" title="{title}">{percent:.0f}%{second}</td>'


def cell_titles() -> tuple[str, str]:
    """The hover texts of a week cell and a total cell, in the reader's language: looked up once per page."""
    return (gettext("%(solved)s of %(questions)s solved, %(attempted)s attempted"), gettext("%(points)s points"))


def row_html(row: GradebookRow, layout: GradebookLayout, titles: tuple[str, str] | None = None) -> Markup:
    """One <tr>: the student (escaped), a cell per week, the total, the last activity."""
    week_title, total_title = titles or cell_titles()
    name = escape(row.name or row.email)
    email = escape(row.email)
    second = f"<small>{email}</small>" if layout.detailed else ""
    parts = [f'<tr><th scope="row"><a href="{layout.student_url}{row.user_id}" title="{email}">{name}</a>{second}</th>']
    for week in layout.weeks:
        cell = row.cells.get(week)
        if cell is None or not cell.attempted:
            parts.append(EMPTY_CELL)
        else:
            detail = f"{cell.solved}/{cell.attempted}"
            title = week_title % {"solved": cell.solved, "questions": cell.questions, "attempted": cell.attempted}
            parts.append(_cell(cell.percent, detail, layout, title))
    points = row.points(layout.weeks)
    percent = 100.0 * points / layout.total_points if layout.total_points else 0.0
    of_total = f"{points:.1f}/{layout.total_points}"
    parts.append(_cell(percent, of_total, layout, total_title % {"points": of_total}, kind="score total"))
    full = localtime.format_datetime(row.last, layout.tz)
    short = localtime.format_datetime(row.last, layout.tz, zone=False, fmt="%d %b %H:%M")
    parts.append(f'<td class="when"><time title="{full}">{short}</time></td></tr>')
    # user text is escaped above; everything else is a number or a date
    return Markup("".join(parts))  # nosec B704


def rows_html(rows: Sequence[GradebookRow], layout: GradebookLayout) -> Markup:
    titles = cell_titles()
    return Markup("\n".join(row_html(row, layout, titles) for row in rows))  # nosec B704


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    size: int | None  # None: everyone on one page
    count: int  # pages
    total: int  # rows over all pages

    @property
    def first(self) -> int:
        return 0 if self.size is None else (self.number - 1) * self.size

    @property
    def last(self) -> int:
        return self.total if self.size is None else min(self.total, self.number * self.size)


def paginate(total: int, page: str | None, size: str | None) -> Page:
    """The page asked for, clamped into range; an unreadable value falls back to the default, never a 500."""
    chosen: int | None = DEFAULT_PAGE_SIZE
    if size == "all":
        chosen = None
    elif size and size.isdigit() and int(size) in PAGE_SIZES:
        chosen = int(size)
    count = 1 if chosen is None else max(1, -(-total // chosen))
    number = int(page) if page and page.isdigit() else 1
    return Page(min(max(1, number), count), chosen, count, total)
