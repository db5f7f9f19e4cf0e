"""CSV exports: the gradebook, every attempt, and a grade-import file for Moodle and ILIAS."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from quizserver.catalog import ServedBank

from .queries import LONG_COLUMNS, GradebookRow, as_utc, long_rows

# OWASP's CSV-injection list, with the full-width forms some spreadsheets also read as operators.
_FORMULA_START = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_ALWAYS_DEFUSED = ("\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; plain numbers stay numbers.

    Spreadsheets skip leading whitespace and newlines before looking for a formula, so those are looked past.
    """
    if not isinstance(value, str) or _PLAIN_NUMBER.fullmatch(value):
        return value
    if value.startswith(_ALWAYS_DEFUSED) or value.lstrip()[:1] in _FORMULA_START:
        return "'" + value
    return value


def _text(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def _percent(row: GradebookRow, week: int) -> str:
    return f"{row.percent(week):.2f}"


def gradebook_csv(rows: Sequence[GradebookRow], served: Sequence[ServedBank]) -> str:
    """One row per student, one score column (percent) per week."""
    header = ["email", "name"] + [f"week {sb.week} (%)" for sb in served] + ["last activity (UTC)"]
    body = [
        [row.email, row.name] + [_percent(row, sb.week) for sb in served]
        + [as_utc(row.last).isoformat(timespec="seconds") if row.last else ""]
        for row in rows
    ]
    return _text([header, *body])


def grade_import_csv(rows: Sequence[GradebookRow], served: Sequence[ServedBank]) -> str:
    """Moodle's "Import grades: CSV" and ILIAS's mark import: e-mail identifies the user, a column per week."""
    header = ["Email address"] + [f"Week {sb.week}" for sb in served]
    return _text([header, *([row.email] + [_percent(row, sb.week) for sb in served] for row in rows)])


def long_csv(week: int | None = None) -> Iterator[str]:
    """One row per attempt, streamed a batch of lines at a time."""
    yield _text([LONG_COLUMNS])
    batch: list[Sequence[Any]] = []
    for row in long_rows(week):
        (attempt_id, email, wk, qid, seed, created_at, status, score, credit, counted, mistake, raw) = row
        stamp = as_utc(created_at)
        batch.append([
            attempt_id, email, wk, qid, seed, stamp.isoformat(timespec="seconds") if stamp else "",
            status, f"{score:.4g}", f"{credit:.4g}", int(bool(counted)), mistake or "", raw,
        ])
        if len(batch) >= 2000:
            yield _text(batch)
            batch = []
    if batch:
        yield _text(batch)
