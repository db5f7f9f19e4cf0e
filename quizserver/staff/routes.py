from __future__ import annotations

from flask import Response, abort, render_template, request, stream_with_context, url_for
from markupsafe import Markup

from quizserver import charts, stats
from quizserver.catalog import ServedBank, served_bank, served_banks
from quizserver.extensions import db
from quizserver.models import Role, User
from quizserver.security import staff_required

from . import bp, exports, queries
from .presenters import rows_html

MAX_SEARCH = 200


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _bank(week: int) -> ServedBank:
    served = served_bank(week)
    if served is None:
        abort(404, f"There is no quiz for week {week}.")
    return served


@bp.get("/")
@staff_required
def gradebook() -> str:
    served = served_banks()
    search = request.args.get("q", "")[:MAX_SEARCH]
    sort = request.args.get("sort", "name")[:20]
    descending = request.args.get("dir") == "desc"
    every = queries.gradebook(served)
    totals = queries.week_totals(every, served)
    rows = queries.filter_rows(every, search) if search.strip() else every
    rows = queries.sort_rows(rows, sort, descending)
    return render_template(
        "staff/gradebook.html",
        served=served,
        rows=rows,
        totals=totals,
        search=search,
        sort=sort,
        descending=descending,
        # one url_for, not a thousand: the student id is appended to it
        rows_html=rows_html(rows, [sb.week for sb in served], url_for("staff.student", user_id=0)[:-1]),
    )


@bp.get("/gradebook.csv")
@staff_required
def gradebook_csv() -> Response:
    served = served_banks()
    rows = queries.sort_rows(queries.gradebook(served), "email", False)
    return _csv(exports.gradebook_csv(rows, served), "gradebook.csv")


@bp.get("/grades-import.csv")
@staff_required
def grade_import_csv() -> Response:
    served = served_banks()
    rows = queries.sort_rows(queries.gradebook(served), "email", False)
    return _csv(exports.grade_import_csv(rows, served), "grades-import.csv")


@bp.get("/attempts.csv")
@staff_required
def attempts_csv() -> Response:
    week = request.args.get("week", type=int)
    name = f"attempts-week{week}.csv" if week is not None else "attempts.csv"
    response = Response(stream_with_context(exports.long_csv(week)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/weeks/<int:week>")
@staff_required
def week_overview(week: int) -> str:
    served = _bank(week)
    students = queries.student_count()
    cells = queries.week_cells([served], week=week)
    percents = [cell.percent for cell in cells.values() if cell.attempted]
    bins = stats.histogram(percents, bins=10)
    per_day = queries.attempts_per_day(week)
    started = sum(1 for cell in cells.values() if cell.attempted)
    completed = sum(1 for cell in cells.values() if cell.solved == cell.questions)
    # charts escapes every label itself, so its SVG goes into the page as markup
    histogram_svg = charts.histogram_chart(
        f"Week {week}: score distribution of the {len(percents)} students who started",
        [(b.low, b.high, b.count) for b in bins],
        "week score (%)",
        "students",
    )
    per_day_svg = charts.line_chart(f"Week {week}: graded attempts per day", per_day, "day (UTC)", "attempts")
    return render_template(
        "staff/week.html",
        served=served,
        students=students,
        started=started,
        completed=completed,
        participation=stats.share(started, students),
        completion=stats.share(completed, students),
        mean_percent=stats.mean_or_none(percents),
        bins=bins,
        per_day=per_day,
        histogram_svg=Markup(histogram_svg),  # nosec B704
        per_day_svg=Markup(per_day_svg),  # nosec B704
    )


@bp.get("/weeks/<int:week>/items")
@staff_required
def item_analysis(week: int) -> str:
    served = _bank(week)
    items = queries.item_analysis(served)
    facility_svg = charts.bar_chart(
        f"Week {week}: facility (mean first-attempt score) per question",
        [f"Q{item.number}" for item in items],
        [None if item.facility is None else 100 * item.facility for item in items],
        "question",
        "facility (%)",
        y_max=100,
        y_percent=True,
    )
    return render_template(
        "staff/items.html",
        served=served,
        items=items,
        low=stats.LOW_DISCRIMINATION,
        wrong_key_share=stats.WRONG_KEY_SHARE,
        facility_svg=Markup(facility_svg),  # nosec B704
    )


@bp.get("/students/<int:user_id>")
@staff_required
def student(user_id: int) -> str:
    user = db.session.get(User, user_id)
    if user is None or user.role != Role.STUDENT.value:
        abort(404, "There is no such student.")
    served = served_banks()
    cells = queries.week_cells(served, user_id=user.id)
    attempts = queries.student_attempts(user.id, served)
    return render_template(
        "staff/student.html",
        student=user,
        served=served,
        cells={week: cell for (_, week), cell in cells.items()},
        attempts=attempts,
        show_time=queries.show_time,
    )
