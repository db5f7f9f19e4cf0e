"""CSV exports: the gradebook, every attempt, and a grade-import file for Moodle and ILIAS.

Each comes in two styles: plain CSV (comma, decimal point, ISO times with their UTC offset), which every
program and script reads, and one that German Excel opens by double-click (UTF-8 with a byte-order mark so
umlauts survive, `;` between cells and a decimal comma, as a German locale expects). Times are in the course
zone (QUIZ_TIMEZONE) in both, and each time column names its zone.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from quizserver import localtime
from quizserver.catalog import ServedBank

from .queries import LONG_COLUMNS, GradebookRow, long_rows

# OWASP's CSV-injection list, with the full-width forms some spreadsheets also read as operators.
_FORMULA_START = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_ALWAYS_DEFUSED = ("\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


@dataclass(frozen=True)
class CsvStyle:
    """How one spreadsheet family wants its CSV."""

    name: str  # as in ?format=
    delimiter: str
    decimal: str
    bom: bool
    suffix: str  # before .csv in the file name

    def number(self, value: float, fmt: str) -> str:
        text = format(value, fmt)
        return text.replace(".", self.decimal) if self.decimal != "." else text

    def moment(self, value: datetime | None, tz: tzinfo) -> str:
        if value is None:
            return ""
        if self.decimal == ".":
            return localtime.iso_datetime(value, tz)
        # what German Excel reads as a date and time; the header names the zone
        return localtime.format_datetime(value, tz, zone=False, fmt="%Y-%m-%d %H:%M:%S")


PLAIN = CsvStyle("plain", ",", ".", False, "")
EXCEL_DE = CsvStyle("excel-de", ";", ",", True, "-excel-de")
STYLES = {style.name: style for style in (PLAIN, EXCEL_DE)}


def style_named(name: str | None) -> CsvStyle | None:
    """The style for ?format= (empty: plain); None for an unknown name, which the view refuses."""
    return STYLES.get(name or "plain")


@dataclass(frozen=True)
class Num:
    """A number cell, formatted per style (never defused: it is ours, not user text)."""

    value: float
    fmt: str = ".2f"


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; plain numbers stay numbers.

    Spreadsheets skip leading whitespace and newlines before looking for a formula, so those are looked past.
    """
    if not isinstance(value, str) or _PLAIN_NUMBER.fullmatch(value):
        return value
    if value.startswith(_ALWAYS_DEFUSED) or value.lstrip()[:1] in _FORMULA_START:
        return "'" + value
    return value


def _cell(value: Any, style: CsvStyle) -> Any:
    if isinstance(value, Num):
        return style.number(value.value, value.fmt)
    return safe_cell(value)


def _text(rows: Iterable[Sequence[Any]], style: CsvStyle = PLAIN, *, first: bool = False) -> str:
    buffer = io.StringIO()
    if first and style.bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=style.delimiter, lineterminator="\r\n")
    writer.writerows([_cell(v, style) for v in row] for row in rows)
    return buffer.getvalue()


def _zone_name(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)


def gradebook_csv(
    rows: Sequence[GradebookRow], served: Sequence[ServedBank], tz: tzinfo, style: CsvStyle = PLAIN
) -> str:
    """One row per student, one score column (percent) per week, the total, the last activity."""
    total = sum(sb.bank.total_points for sb in served)
    header = (
        ["email", "name"] + [f"week {sb.week} (%)" for sb in served]
        + [f"total ({total} points)", f"last activity ({_zone_name(tz)})"]
    )
    body = [
        [row.email, row.name] + [Num(row.percent(sb.week)) for sb in served]
        + [Num(row.points(sb.week for sb in served)), style.moment(row.last, tz)]
        for row in rows
    ]
    return _text([header, *body], style, first=True)


def grade_import_csv(rows: Sequence[GradebookRow], served: Sequence[ServedBank], style: CsvStyle = PLAIN) -> str:
    """Moodle's "Import grades: CSV" and ILIAS's mark import: e-mail identifies the user, a column per week."""
    header = ["Email address"] + [f"Week {sb.week}" for sb in served]
    body = ([row.email] + [Num(row.percent(sb.week)) for sb in served] for row in rows)
    return _text([header, *body], style, first=True)


def long_csv(tz: tzinfo, week: int | None = None, style: CsvStyle = PLAIN) -> Iterator[str]:
    """One row per attempt, streamed a batch of lines at a time."""
    header = [f"submitted_at ({_zone_name(tz)})" if c == "submitted_at" else c for c in LONG_COLUMNS]
    yield _text([header], style, first=True)
    batch: list[Sequence[Any]] = []
    for row in long_rows(week):
        (attempt_id, email, wk, qid, seed, created_at, status, score, credit, counted, mistake, raw) = row
        batch.append([
            attempt_id, email, wk, qid, seed, style.moment(created_at, tz),
            status, Num(score, ".4g"), Num(credit, ".4g"), int(bool(counted)), mistake or "", raw,
        ])
        if len(batch) >= 2000:
            yield _text(batch, style)
            batch = []
    if batch:
        yield _text(batch, style)
