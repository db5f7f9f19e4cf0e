from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, render_template, request, stream_with_context, url_for
from flask_babel import gettext
from markupsafe import Markup

from quizserver import charts, localtime, stats
from quizserver.catalog import ServedBank, served_bank
from quizserver.extensions import db
from quizserver.i18n import localized_day
from quizserver.models import Role, User
from quizserver.security import staff_required
from quizserver.unpublish import reported_banks, unpublished_banks

from . import bp, exports, queries
from .presenters import DEFAULT_PAGE_SIZE, PAGE_SIZES, GradebookLayout, paginate, rows_html

MAX_SEARCH = 200


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _style() -> exports.CsvStyle:
    style = exports.style_named(request.args.get("format"))
    if style is None:
        abort(400, gettext("Choose a CSV format from the links on the gradebook: plain CSV or the one for German "
                           "Excel."))
    return style


def _name(base: str, style: exports.CsvStyle) -> str:
    return f"{base}{style.suffix}.csv"


def _bank(week: int) -> ServedBank:
    served = served_bank(week) or next((sb for sb in unpublished_banks() if sb.week == week), None)
    if served is None:
        abort(404, gettext("There is no quiz for week %(week)s.", week=week))
    return served


@bp.get("/")
@staff_required
def gradebook() -> str:
    served = reported_banks()
    search = request.args.get("q", "")[:MAX_SEARCH]
    sort = request.args.get("sort", "name")[:20]
    descending = request.args.get("dir") == "desc"
    detailed = request.args.get("view") == "detailed"
    every = queries.gradebook(served)
    totals = queries.week_totals(every, served)
    rows = queries.filter_rows(every, search) if search.strip() else every
    rows = queries.sort_rows(rows, sort, descending)
    page = paginate(len(rows), request.args.get("page"), request.args.get("per"))
    shown = rows[page.first : page.last]
    tz = _zone()
    layout = GradebookLayout(
        weeks=[sb.week for sb in served],
        total_points=sum(sb.bank.total_points for sb in served),
        # one url_for, not a thousand: the student id is appended to it
        student_url=url_for("staff.student", user_id=0)[:-1],
        tz=tz,
        detailed=detailed,
    )
    state = {
        "q": search or None, "sort": sort if sort != "name" else None, "dir": "desc" if descending else None,
        "view": "detailed" if detailed else None,
        "per": request.args.get("per") if page.size != DEFAULT_PAGE_SIZE else None,
    }
    return render_template(
        "staff/gradebook.html",
        served=served,
        rows=shown,
        matching=len(rows),
        page=page,
        state=state,
        page_sizes=PAGE_SIZES,
        link=lambda **changes: url_for(
            "staff.gradebook", **{k: v for k, v in {**state, **changes}.items() if v is not None}
        ),
        totals=totals,
        search=search,
        sort=sort,
        descending=descending,
        detailed=detailed,
        layout=layout,
        mean_total=stats.mean_or_none([100.0 * r.points(layout.weeks) / layout.total_points for r in every])
        if layout.total_points else None,
        rows_html=rows_html(shown, layout),
    )


@bp.get("/gradebook.csv")
@staff_required
def gradebook_csv() -> Response:
    style = _style()
    served = reported_banks()
    rows = queries.sort_rows(queries.gradebook(served), "email", False)
    return _csv(exports.gradebook_csv(rows, served, _zone(), style), _name("gradebook", style))


@bp.get("/grades-import.csv")
@staff_required
def grade_import_csv() -> Response:
    style = _style()
    served = reported_banks()
    rows = queries.sort_rows(queries.gradebook(served), "email", False)
    return _csv(exports.grade_import_csv(rows, served, style), _name("grades-import", style))


@bp.get("/attempts.csv")
@staff_required
def attempts_csv() -> Response:
    style = _style()
    week = request.args.get("week", type=int)
    name = _name(f"attempts-week{week}" if week is not None else "attempts", style)
    response = Response(stream_with_context(exports.long_csv(_zone(), week, style)), mimetype="text/csv")
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
    tz = _zone()
    per_day = queries.daily_counts(
        queries.attempt_times(week), tz, opens=served.bank.opens, closes=served.bank.closes,
        today=localtime.course_date(datetime.now(UTC), tz),
    )
    started = sum(1 for cell in cells.values() if cell.attempted)
    completed = sum(1 for cell in cells.values() if cell.solved == cell.questions)
    # charts escapes every label itself, so its SVG goes into the page as markup
    histogram_svg = charts.histogram_chart(
        gettext("Week %(week)s: score distribution of the %(count)s students who started", week=week,
                count=len(percents)),
        [(b.low, b.high, b.count) for b in bins],
        gettext("week score (%)"),
        gettext("students"),
    )
    per_day_svg = charts.line_chart(
        gettext("Week %(week)s: graded attempts per day", week=week), per_day, gettext("day (%(zone)s)", zone=tz.key),
        gettext("attempts"),
        markers=_deadline_markers(served, tz), day_label=lambda day: localized_day(day, "%a %e %b"),
        empty=gettext("No data yet"),
    )
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


def _zone() -> ZoneInfo:
    return localtime.course_timezone(current_app.config)


def _deadline_markers(served: ServedBank, tz: ZoneInfo) -> list[charts.Marker]:
    """The week's deadline as a dashed line at its hour of its day, in the course zone."""
    closes = served.bank.closes
    if closes is None:
        return []
    local = localtime.to_course_time(closes, tz)
    fraction = (local.hour * 3600 + local.minute * 60 + local.second) / 86400
    label = gettext("deadline %(time)s", time=localtime.format_datetime(closes, tz))
    return [charts.Marker(local.date(), fraction, label)]


@bp.get("/weeks/<int:week>/items")
@staff_required
def item_analysis(week: int) -> str:
    served = _bank(week)
    items = queries.item_analysis(served)
    facility_svg = charts.bar_chart(
        gettext("Week %(week)s: facility (mean first-attempt score) per question", week=week),
        [gettext("Q%(number)s", number=item.number) for item in items],
        [None if item.facility is None else 100 * item.facility for item in items],
        gettext("question"),
        gettext("facility (%)"),
        y_max=100,
        y_percent=True,
    )
    return render_template(
        "staff/items.html",
        served=served,
        items=items,
        low=stats.LOW_DISCRIMINATION,
        strong_share=stats.STRONG_AGREE_SHARE,
        extreme=stats.EXTREME_GROUP,
        facility_svg=Markup(facility_svg),  # nosec B704
    )


@bp.get("/students/<int:user_id>")
@staff_required
def student(user_id: int) -> str:
    user = db.session.get(User, user_id)
    if user is None or user.role != Role.STUDENT.value:
        abort(404, gettext("There is no such student."))
    served = reported_banks()
    cells = queries.week_cells(served, user_id=user.id)
    attempts = queries.student_attempts(user.id, served)
    return render_template(
        "staff/student.html",
        student=user,
        served=served,
        cells={week: cell for (_, week), cell in cells.items()},
        attempts=attempts,
        history=queries.student_history(attempts, served),
    )
