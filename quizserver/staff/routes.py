from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from quizserver.catalog import served_banks
from quizserver.extensions import db
from quizserver.models import QuestionState, Role, User
from quizserver.security import staff_required

from . import bp


@bp.get("/")
@staff_required
def gradebook() -> str:
    served = served_banks()
    points = {(sb.week, q.id): q.points for sb in served for q in sb.bank.questions}
    totals = {sb.week: sb.bank.total_points for sb in served}
    rows = db.session.execute(
        select(QuestionState.user_id, QuestionState.week, QuestionState.question_id, QuestionState.credit)
    ).all()
    scores: dict[int, dict[int, float]] = {}
    for user_id, week, qid, credit in rows:
        if (week, qid) in points:
            scores.setdefault(user_id, {}).setdefault(week, 0.0)
            scores[user_id][week] += credit * points[(week, qid)]
    students = db.session.scalars(select(User).where(User.role == Role.STUDENT).order_by(func.lower(User.email))).all()
    return render_template("staff/gradebook.html", served=served, students=students, scores=scores, totals=totals)
