from __future__ import annotations

import secrets
from typing import Any

from flask import abort, render_template, request
from sqlalchemy import func, select

from quizserver.catalog import ServedBank, served_bank, served_banks
from quizserver.extensions import db
from quizserver.grading import Grade
from quizserver.models import BankFileStatus, BankVersion, PoolVariant
from quizserver.security import instructor_required

from . import bp
from .preview import BadVariant, parse_variant, preview

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
    count = db.session.scalar(select(func.count(PoolVariant.id)).where(*_pool_of(served, question_id))) or 0
    if count == 0:
        abort(404, f"Week {week} question '{question_id}' has no verified variants yet; run quiz sync.")
    try:
        number = parse_variant(request.args.get("variant"), count)
    except BadVariant as exc:
        abort(400, str(exc))
    pooled = db.session.scalars(
        select(PoolVariant).where(*_pool_of(served, question_id), PoolVariant.slot == number - 1)
    ).one()
    view = preview(question, pooled, count)
    # a GET grades and stores nothing, so a trial answer can be shared as a link
    typed = ",".join(request.args.getlist("choice")) if question.is_choice else request.args.get("answer")
    trial: Grade | None = None
    if typed is not None and "trial" in request.args:
        trial = view.grade(typed[:MAX_TRIAL_ANSWER])
    return render_template(
        "instructor/preview.html",
        served=served,
        view=view,
        typed=typed or "",
        selected=set(request.args.getlist("choice")),
        trial=trial,
        random_variant=secrets.randbelow(count) + 1,
    )


def _pool_of(served: ServedBank, question_id: str) -> tuple[Any, ...]:
    return (PoolVariant.bank_version_id == served.version.id, PoolVariant.question_id == question_id)
