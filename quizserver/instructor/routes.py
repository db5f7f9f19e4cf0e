from __future__ import annotations

import secrets
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from quizserver.catalog import ServedBank, served_bank, served_banks
from quizserver.extensions import db
from quizserver.grading import Grade
from quizserver.grading.locale_numbers import normalize_decimal_comma
from quizserver.i18n import current_language, localized_phrase
from quizserver.models import BankFileStatus, BankVersion, PoolVariant
from quizserver.security import instructor_required
from quizserver.unpublish import removed_files, unpublish_missing

from . import bp
from .preview import BadVariant, parse_variant, preview

MAX_TRIAL_ANSWER = 5000


@bp.get("/banks")
@instructor_required
def banks() -> str:
    versions = db.session.scalars(select(BankVersion).order_by(BankVersion.week, BankVersion.synced_at.desc())).all()
    statuses = db.session.scalars(select(BankFileStatus).order_by(BankFileStatus.path)).all()
    return render_template(
        "instructor/banks.html", versions=versions, statuses=statuses, served=served_banks(),
        removed={row.path: row for row in removed_files()}, served_weeks={sb.week for sb in served_banks()},
    )


@bp.post("/banks/unpublish")
@instructor_required
def unpublish() -> Response:
    """The Banks page's button for a week whose file a sync found removed (as `quiz sync --prune`)."""
    week = request.form.get("week", type=int)
    done = unpublish_missing([week]) if week is not None else []
    db.session.commit()
    if done:
        flash(gettext("Week %(week)s is no longer published. Students keep their history; staff pages keep the week. "
                      "Put the file back and sync to publish it again.", week=week), "success")  # fmt: skip
    else:
        flash(gettext("Nothing was unpublished: only a week whose file the last sync found removed can be."), "error")
    return redirect(url_for("instructor.banks"))


@bp.get("/preview/<int:week>/<question_id>")
@instructor_required
def preview_question(week: int, question_id: str) -> str:
    served = served_bank(week)
    if served is None:
        abort(404, gettext("No bank is served for week %(week)s.", week=week))
    question = served.bank.question(question_id)
    if question is None:
        abort(404, gettext("Week %(week)s has no question '%(question)s'.", week=week, question=question_id))
    count = db.session.scalar(select(func.count(PoolVariant.id)).where(*_pool_of(served, question_id))) or 0
    if count == 0:
        abort(404, gettext("Week %(week)s question '%(question)s' has no verified variants yet; run quiz sync.",
                           week=week, question=question_id))
    try:
        number = parse_variant(request.args.get("variant"), count)
    except BadVariant as exc:
        abort(400, localized_phrase(str(exc)))
    if request.args.get("seed"):  # from a student's drill-down: the variant that student had
        number = _slot_of_seed(served, question_id, request.args["seed"]) + 1
    pooled = db.session.scalars(
        select(PoolVariant).where(*_pool_of(served, question_id), PoolVariant.slot == number - 1)
    ).one()
    view = preview(question, pooled, count)
    # a GET grades and stores nothing, so a trial answer can be shared as a link
    typed = ",".join(request.args.getlist("choice")) if question.is_choice else request.args.get("answer")
    trial: Grade | None = None
    if typed is not None and "trial" in request.args:
        shown = typed if question.is_choice else normalize_decimal_comma(typed, current_language())
        trial = view.grade(shown[:MAX_TRIAL_ANSWER])
    return render_template(
        "instructor/preview.html",
        served=served,
        view=view,
        typed=typed or "",
        selected=set(request.args.getlist("choice")),
        trial=trial,
        random_variant=secrets.randbelow(count) + 1,
    )


def _slot_of_seed(served: ServedBank, question_id: str, raw: str) -> int:
    """The pool slot that holds this seed in the served version; 404 when the pool no longer has it."""
    seed = raw.strip()
    if not seed.isdigit() or len(seed) > 18:
        abort(400, gettext("A seed is a whole number, got %(seed)r.", seed=seed[:40]))
    slot = db.session.scalar(
        select(PoolVariant.slot).where(*_pool_of(served, question_id), PoolVariant.seed == int(seed))
    )
    if slot is None:
        abort(404, gettext("Seed %(seed)s is not in the current pool of '%(question)s': the bank has changed since "
                           "that student got it, and the answers were graded against the version they saw.",
                           seed=seed, question=question_id))
    return int(slot)


def _pool_of(served: ServedBank, question_id: str) -> tuple[Any, ...]:
    return (PoolVariant.bank_version_id == served.version.id, PoolVariant.question_id == question_id)
