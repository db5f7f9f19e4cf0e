"""The Admission page and its CSV: who meets the course's exam admission rule, from the gradebook's scores.

Also the week overview's review line (a template function, so that view need not change).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, render_template, request, url_for

from quizserver import admission, review
from quizserver.catalog import served_banks
from quizserver.security import staff_required

from . import bp
from .exports import safe_cell

STATUS_FILTERS = {status.value: status for status in admission.STATUS_ORDER}


def _now() -> datetime:
    return datetime.now(UTC)


def _csv_text(rows: Sequence[Sequence[Any]]) -> str:
    """Rows as CSV text, with every cell a spreadsheet would run as a formula defused (as the other exports)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


@bp.app_template_global()
def week_review_summary(week: int) -> review.WeekReview:
    """How much review one week's questions get, for the staff week overview."""
    return review.week_review(week, _now(), review.settings_from(current_app.config["QUIZ"]))


@bp.get("/admission")
@staff_required
def admission_page() -> str:
    rule = admission.rule_from(current_app.config["QUIZ"])
    served = served_banks()
    now = _now()
    rows = admission.admission_rows(rule, served, now) if rule.enabled else []
    chosen = STATUS_FILTERS.get(request.args.get("status", "")[:20])
    shown = [row for row in rows if chosen is None or row.admission.status is chosen]
    return render_template(
        "staff/admission.html",
        rule=rule,
        rows=shown,
        counts=admission.status_counts(rows),
        total=len(rows),
        chosen=chosen,
        weeks=admission.counted_weeks(rule, served),
        closed=[sb.week for sb in served if rule.counts(sb.week) and sb.is_closed(now)],
        student_url=url_for("staff.student", user_id=0)[:-1],
    )


@bp.get("/admission.csv")
@staff_required
def admission_csv() -> Response:
    rule = admission.rule_from(current_app.config["QUIZ"])
    served = served_banks()
    rows = admission.admission_rows(rule, served, _now()) if rule.enabled else []
    text = _csv_text(admission.csv_rows(rows, served, rule))
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": 'attachment; filename="admission.csv"'})
