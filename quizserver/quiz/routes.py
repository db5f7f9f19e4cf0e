from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from quizserver.bank import Question
from quizserver.catalog import ServedBank, WeekStatus, serve, served_bank, served_banks
from quizserver.extensions import db, limiter
from quizserver.hotpath import commit_request, request_connection
from quizserver.models import QuestionState
from quizserver.security import answer_target
from quizserver.services import (
    PoolUnavailable,
    answerable,
    ensure_states,
    last_attempts,
    new_variant,
    reveal,
    submit_answer,
    week_progress,
)

from . import bp
from .forms import STORED_CHOICE_LENGTH, ActionForm, AnswerForm
from .presenters import UnreadableChoice, choice_ids, choice_order, question_view


@bp.get("/")
def index() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("quiz.weeks"))
    return redirect(url_for("auth.login"))


@bp.get("/weeks")
@login_required
def weeks() -> str:
    served = served_banks()
    progress = week_progress(current_user, served)
    return render_template("quiz/weeks.html", served=served, progress=progress, WeekStatus=WeekStatus)


def _open_bank(week: int, served: ServedBank | None = None) -> ServedBank:
    """The week's bank (read now unless given), or 404 when there is none or it is not open yet."""
    served = served or served_bank(week)
    if served is None:
        abort(404, f"There is no quiz for week {week}.")
    if served.status() is WeekStatus.UPCOMING and not current_user.is_staff:
        abort(404, f"Week {week} is not open yet.")
    return served


@bp.get("/weeks/<int:week>")
@login_required
def week(week: int) -> str:
    served = _open_bank(week)
    view = ensure_states(current_user, served)
    db.session.commit()
    last = last_attempts(current_user, week)
    questions = [
        question_view(i, q, served, view.states.get(q.id), last.get(q.id), view.unavailable.get(q.id, ""))
        for i, q in enumerate(served.bank.questions, start=1)
    ]
    progress = week_progress(current_user, [served])[week]
    return render_template(
        "quiz/week.html",
        served=served,
        questions=questions,
        progress=progress,
        closed=served.is_closed(),
    )


def _question(served: ServedBank, question_id: str) -> Question:
    question = served.bank.question(question_id)
    if question is None:
        abort(404, "There is no such question.")
    return question


def _state_for(served: ServedBank, question_id: str) -> tuple[Question, QuestionState]:
    question = _question(served, question_id)
    state = db.session.scalar(
        select(QuestionState)
        .options(joinedload(QuestionState.variant))  # grading needs the variant: one query, not two
        .where(
            QuestionState.user_id == current_user.id,
            QuestionState.week == served.week,
            QuestionState.question_id == question_id,
        )
    )
    if state is None:  # answering before the page created the variant: create it now
        state = ensure_states(current_user, served).states.get(question_id)
        if state is None:
            abort(404, "This question is not available right now.")
    return question, state


def _back_to(week: int, question_id: str) -> Response:
    return redirect(url_for("quiz.week", week=week) + f"#q-{question_id}")


def _wants_json() -> bool:
    """quiz.js asks for JSON; a plain form post (no JavaScript) prefers HTML and gets a redirect."""
    if "application/" not in request.headers.get("Accept", ""):  # JSON is never the best match: skip the parse
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _question_fragment(served: ServedBank, question: Question, state: QuestionState, note: str = "") -> str:
    number = next(i for i, q in enumerate(served.bank.questions, start=1) if q.id == question.id)
    last = last_attempts(current_user, served.week, question.id).get(question.id)
    return render_template(
        "quiz/_question.html",
        served=served,
        qv=question_view(number, question, served, state, last),
        note=note,
    )


def _json_reply(
    served: ServedBank, question: Question, state: QuestionState, note: str = "", **extra: object
) -> Response:
    """The re-rendered question and score header, so the page swaps them in without reloading."""
    progress = week_progress(current_user, [served])[served.week]
    return jsonify(
        question_id=question.id,
        note=note,
        question_html=_question_fragment(served, question, state, note),
        score_html=render_template("quiz/_score.html", progress=progress),
        progress={
            "points": round(progress.points, 2),
            "total": progress.total,
            "solved": progress.solved,
            "questions": progress.questions,
            "percent": round(progress.percent, 1),
        },
        **extra,
    )


def _limit(setting: str) -> Callable[[], str]:
    return lambda: current_app.config["QUIZ"][setting]


def _per_student() -> str:
    """Writes are counted per signed-in student: a lecture hall shares one address."""
    return f"student:{current_user.id}"


_NOT_DONE = {
    "quiz.answer": ("Your answer was not recorded: too many answers in a short time.", "Send it again"),
    "quiz.new_numbers": ("No new numbers were drawn: too many requests in a short time.", "Try again"),
    "quiz.reveal_solution": ("The solution was not revealed: too many requests in a short time.", "Try again"),
}


@bp.errorhandler(429)
def too_many_requests(error: TooManyRequests) -> tuple[Response | str, int]:
    """A write refused by its limit, in words: what did not happen and when to send it again."""
    current = limiter.current_limit if isinstance(error, RateLimitExceeded) else None
    if current is not None:
        seconds = max(1, math.ceil(current.window.reset_time - time.time()))  # reset_at rounds up a second more
    else:
        seconds = error.retry_after if isinstance(error.retry_after, int) else 60
    done, again = _NOT_DONE.get(request.endpoint or "", ("That was not done: too many requests.", "Try again"))
    message = f"{done} {again} in {seconds} second{'s' if seconds != 1 else ''}."
    if _wants_json():
        return jsonify(error=message), 429
    args = request.view_args or {}
    back = url_for("quiz.week", week=args.get("week", 0)) + f"#q-{args.get('question_id', '')}"
    return render_template("quiz/limited.html", message=message, back=back), 429


@bp.post("/weeks/<int:week>/<question_id>/answer")
@login_required
@limiter.limit(_limit("ANSWER_LIMIT"), key_func=_per_student)
def answer(week: int, question_id: str) -> Response | tuple[Response, int]:
    ref, target = answer_target(current_user.id, week, question_id)
    served = _open_bank(week, serve(ref) if ref else None)
    form = AnswerForm()
    if not form.validate_on_submit():
        message = "Your answer could not be read (the form expired or was too long). Please try again."
        if _wants_json():
            return jsonify(error=message), 400
        flash(message, "error")
        return _back_to(week, question_id)
    question = _question(served, question_id)
    if target is None:  # answering before the page created the variant: create it now
        if question_id not in ensure_states(current_user, served).states:
            abort(404, "This question is not available right now.")
        db.session.commit()  # as the page would have: the answer is written on the request's own connection
        target = answerable(current_user.id, week, question_id)
        assert target is not None
    unreadable = None
    if question.is_choice:
        positions = form.choice.data or []
        try:
            raw = choice_ids(choice_order(question, target.choice_order), positions)
        except UnreadableChoice as error:
            raw, unreadable = ",".join(positions)[:STORED_CHOICE_LENGTH], error.message
    else:
        raw = form.answer.data or ""
    # Everything the answer reads and writes is a HotStatement: no ORM session (see hotpath).
    outcome = submit_answer(
        current_user.id, served, question, target, raw,
        idempotency_key=form.token.data or None, connection=request_connection(), unreadable=unreadable,
    )  # fmt: skip
    commit_request()
    note = outcome.note if outcome.grade.status.value != "invalid" else ""
    if _wants_json():
        state = db.session.get_one(QuestionState, target.state_id)
        return _json_reply(
            served, question, state, note, status=outcome.grade.status.value, message=outcome.grade.message
        )
    # The page shows the stored attempt next to the question, with why it did not count: no flash needed.
    return _back_to(week, question_id)


@bp.post("/weeks/<int:week>/<question_id>/reveal")
@login_required
@limiter.limit(_limit("REVEAL_LIMIT"), key_func=_per_student)
def reveal_solution(week: int, question_id: str) -> Response:
    served = _open_bank(week)
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired. Please reload the page.")
    question, state = _state_for(served, question_id)
    reveal(state)
    db.session.commit()
    if _wants_json():
        return _json_reply(served, question, state)
    return _back_to(week, question_id)


@bp.post("/weeks/<int:week>/<question_id>/new")
@login_required
@limiter.limit(_limit("NEW_NUMBERS_LIMIT"), key_func=_per_student)
def new_numbers(week: int, question_id: str) -> Response:
    served = _open_bank(week)
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired. Please reload the page.")
    question, state = _state_for(served, question_id)
    note = ""
    try:
        if not new_variant(current_user, served, question, state):
            note = "New numbers are available once you have solved the question or revealed its solution."
    except PoolUnavailable:
        note = "New numbers for this question are not available right now."
    db.session.commit()
    if _wants_json():
        return _json_reply(served, question, state, note)
    if note:
        flash(note, "info")
    return _back_to(week, question_id)


@bp.get("/progress")
@login_required
def progress() -> str:
    served = served_banks()
    return render_template("quiz/progress.html", served=served, progress=week_progress(current_user, served))
