from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import select

from quizserver.catalog import served_bank, served_banks
from quizserver.extensions import db
from quizserver.grading import Grade
from quizserver.models import BankFileStatus, BankVersion
from quizserver.security import instructor_required
from quizserver.services import new_seed

from . import bp
from .preview import BadSeed, parse_seed, preview

MAX_TRIAL_ANSWER = 5000


@bp.get("/banks")
@instructor_required
def banks() -> str:
    versions = db.session.scalars(select(BankVersion).order_by(BankVersion.week, BankVersion.synced_at.desc())).all()
    statuses = db.session.scalars(select(BankFileStatus).order_by(BankFileStatus.path)).all()
    return render_template("instructor/banks.html", versions=versions, statuses=statuses, served=served_banks())


@bp.get("/preview/<int:week>/<question_id>")
@instructor_required
def preview_question(week: int, question_id: str) -> str:
    served = served_bank(week)
    if served is None:
        abort(404, f"No bank is served for week {week}.")
    question = served.bank.question(question_id)
    if question is None:
        abort(404, f"Week {week} has no question '{question_id}'.")
    try:
        seed = parse_seed(request.args.get("seed"))
    except BadSeed as exc:
        abort(400, str(exc))
    view = preview(question, seed)
    # a GET grades and stores nothing, so a trial answer can be shared as a link
    typed = ",".join(request.args.getlist("choice")) if question.is_choice else request.args.get("answer")
    trial: Grade | None = None
    if typed is not None and "trial" in request.args and not view.error:
        trial = view.grade(typed[:MAX_TRIAL_ANSWER])
    return render_template(
        "instructor/preview.html",
        served=served,
        view=view,
        typed=typed or "",
        selected=set(request.args.getlist("choice")),
        trial=trial,
        random_seed=new_seed(),
    )
