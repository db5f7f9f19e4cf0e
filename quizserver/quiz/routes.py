from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_blocks
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from quizserver.answers import submit_answer
from quizserver.bank import Question
from quizserver.catalog import ServedBank, WeekStatus, served_bank, served_banks
from quizserver.extensions import db
from quizserver.grading.locale_numbers import normalize_decimal_comma
from quizserver.i18n import current_language, localized_feedback, localized_phrase
from quizserver.models import Attempt, QuestionState
from quizserver.progress import last_attempts, tally, week_progress
from quizserver.throttle import per_student, seconds_to_wait
from quizserver.variants import PoolUnavailable, ensure_states, new_variant, reveal, week_states

from . import bp
from .forms import STORED_CHOICE_LENGTH, ActionForm, AnswerForm
from .presenters import (
    QuestionView,
    UnreadableChoice,
    choice_ids,
    choice_order,
    layout,
    part_locked,
    question_view,
)


@bp.get("/")
def index() -> Response:
    if current_user.is_authenticated:
        from quizserver.admin.landing import landing_url

        return redirect(landing_url(current_user))
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
        abort(404, gettext("There is no quiz for week %(week)s.", week=week))
    if served.status() is WeekStatus.UPCOMING and not current_user.is_staff:
        abort(404, gettext("Week %(week)s is not open yet.", week=week))
    return served


@bp.get("/weeks/<int:week>")
@login_required
def week(week: int) -> str:
    served = _open_bank(week)
    view = ensure_states(current_user, served)
    if view.created:  # a first visit: keep the new variants, then read them back as the page shows them
        db.session.commit()
        view = ensure_states(current_user, served)
    last = last_attempts(current_user, week)
    questions = [
        question_view(i, q, served, view.states.get(q.id), last.get(q.id), view.unavailable.get(q.id, ""))
        for i, q in enumerate(served.bank.questions, start=1)
    ]
    progress = tally(served, view.states)
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
        abort(404, gettext("There is no such question."))
    return question


def _state_for(served: ServedBank, question_id: str) -> tuple[Question, QuestionState]:
    """The question the URL names and the student's state on it, with its variant: one query (two for a part
    that waits for another: it answers 409 until that part is solved or revealed, as the page hides it)."""
    question = _question(served, question_id)
    if question.after is not None:
        prior = week_states(current_user.id, served.week, question.after).get(question.after)
        if part_locked(served, question, prior):
            waits_for = served.bank.question(question.after)
            abort(409, gettext("Part (%(label)s) opens once part (%(before)s) is solved or its solution is shown.",
                               label=question.label, before=waits_for.label if waits_for else question.after))
    state = week_states(current_user.id, served.week, question_id).get(question_id)
    if state is None:  # answering before the page created the variant: create it now
        state = ensure_states(current_user, served).states.get(question_id)
        if state is None:
            abort(404, gettext("This question is not available right now."))
    return question, state


def _back_to(week: int, question_id: str) -> Response:
    return redirect(url_for("quiz.week", week=week) + f"#q-{question_id}")


def _wants_json() -> bool:
    """quiz.js asks for JSON; a plain form post (no JavaScript) prefers HTML and gets a redirect."""
    if "application/" not in request.headers.get("Accept", ""):  # JSON is never the best match: skip the parse
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _view(served: ServedBank, question: Question, state: QuestionState, last: Attempt | None) -> QuestionView:
    """The question as a reply shows it: its view from the state the view holds and the answer shown."""
    return question_view(served.bank.questions.index(question) + 1, question, served, state, last)


def _json_reply(
    served: ServedBank, question: Question, state: QuestionState, note: str = "", last: Attempt | None = None,
    **extra: object,
) -> Response:
    """The re-rendered question and score header, so the page swaps them in without reloading.

    Built before the view commits, from the state the view holds: the week's score is one light query,
    and the answer shown is the one just given (else the latest one, one row), whatever the history."""
    if last is None:
        last = last_attempts(current_user, served.week, question.id).get(question.id)
    progress = week_progress(current_user, [served])[served.week]
    return jsonify(
        question_id=question.id,
        note=note,
        question_html=render_template("quiz/_question.html", served=served, qv=_view(served, question, state, last),
                                      note=note),  # fmt: skip
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


def _answered_reply(
    served: ServedBank, question: Question, state: QuestionState, note: str, last: Attempt | None, **extra: object
) -> Response:
    """The question's `actions` and `feedback` blocks alone, for an answer that left the rest of the question and
    the week's score as they were (presenters.layout): quiz.js puts each in place of the element with its id."""
    qv = _view(served, question, state, last)
    blocks = render_blocks(
        "quiz/_question.html", ["actions", "feedback"], served=served, qv=qv, q=question, last=last, note=note
    )
    return jsonify(question_id=question.id, note=note, answered_html=blocks, invalid=qv.box_invalid, **extra)


def _not_done(endpoint: str, seconds: int) -> str:
    """What a refused write did not do, and when to send it again."""
    if endpoint == "quiz.answer":
        return ngettext("Your answer was not recorded: too many answers in a short time. Send it again in %(num)d "
                        "second.", "Your answer was not recorded: too many answers in a short time. Send it again in "
                        "%(num)d seconds.", seconds)
    if endpoint == "quiz.new_numbers":
        return ngettext("No new numbers were drawn: too many requests in a short time. Try again in %(num)d second.",
                        "No new numbers were drawn: too many requests in a short time. Try again in %(num)d seconds.",
                        seconds)
    if endpoint == "quiz.reveal_solution":
        return ngettext("The solution was not revealed: too many requests in a short time. Try again in %(num)d "
                        "second.", "The solution was not revealed: too many requests in a short time. Try again in "
                        "%(num)d seconds.", seconds)
    return ngettext("That was not done: too many requests. Try again in %(num)d second.",
                    "That was not done: too many requests. Try again in %(num)d seconds.", seconds)


@bp.errorhandler(429)
def too_many_requests(error: TooManyRequests) -> tuple[Response | str, int, dict[str, str]]:
    """A write refused by its limit, in words: what did not happen and when to send it again."""
    seconds = seconds_to_wait(error)
    message = _not_done(request.endpoint or "", seconds)
    headers = {"Retry-After": str(seconds)}
    if _wants_json():
        return jsonify(error=message), 429, headers
    args = request.view_args or {}
    back = url_for("quiz.week", week=args.get("week", 0)) + f"#q-{args.get('question_id', '')}"
    return render_template("quiz/limited.html", message=message, back=back), 429, headers


@bp.post("/weeks/<int:week>/<question_id>/answer")
@login_required
@per_student("ANSWER_LIMIT")
def answer(week: int, question_id: str) -> Response | tuple[Response, int]:
    served = _open_bank(week)
    form = AnswerForm()
    if not form.validate_on_submit():
        message = gettext("Your answer could not be read (the form expired or was too long). Please try again.")
        if _wants_json():
            return jsonify(error=message), 400
        flash(message, "error")
        return _back_to(week, question_id)
    question, state = _state_for(served, question_id)
    unreadable = None
    if question.is_choice:
        positions = form.choice.data or []
        try:
            raw = choice_ids(choice_order(question, state.variant.choice_order), positions)
        except UnreadableChoice as error:
            raw, unreadable = ",".join(positions)[:STORED_CHOICE_LENGTH], error.message
    else:
        raw = normalize_decimal_comma(form.answer.data or "", current_language())  # German 0,5 is 0.5
    shown = layout(served, question, state)
    outcome = submit_answer(
        current_user.id, served, question, state, raw, idempotency_key=form.token.data or None, unreadable=unreadable
    )
    note = localized_phrase(outcome.note) if outcome.grade.status.value != "invalid" else ""
    if _wants_json():
        status = outcome.grade.status.value
        message = localized_feedback(outcome.grade.message, raw, status)
        # most answers (unreadable, wrong with attempts left, practice) change only the feedback and the attempts
        reply_with = _answered_reply if layout(served, question, state) == shown else _json_reply
        reply = reply_with(served, question, state, note, outcome.attempt, status=status, message=message)
    else:  # the page shows the stored attempt next to the question, with why it did not count: no flash needed
        reply = _back_to(week, question_id)
    db.session.commit()
    return reply


@bp.post("/weeks/<int:week>/<question_id>/reveal")
@login_required
@per_student("REVEAL_LIMIT")
def reveal_solution(week: int, question_id: str) -> Response:
    served = _open_bank(week)
    if not ActionForm().validate_on_submit():
        abort(400, gettext("The form expired. Please reload the page."))
    question, state = _state_for(served, question_id)
    reveal(state)
    reply = _json_reply(served, question, state) if _wants_json() else _back_to(week, question_id)
    db.session.commit()
    return reply


@bp.post("/weeks/<int:week>/<question_id>/new")
@login_required
@per_student("NEW_NUMBERS_LIMIT")
def new_numbers(week: int, question_id: str) -> Response:
    served = _open_bank(week)
    if not ActionForm().validate_on_submit():
        abort(400, gettext("The form expired. Please reload the page."))
    question, state = _state_for(served, question_id)
    note = ""
    try:
        if not new_variant(current_user, served, question, state):
            note = gettext("New numbers are available once you have solved the question or revealed its solution.")
    except PoolUnavailable:
        note = gettext("New numbers for this question are not available right now.")
    if _wants_json():
        reply = _json_reply(served, question, state, note)
    else:
        if note:
            flash(note, "info")
        reply = _back_to(week, question_id)
    db.session.commit()
    return reply


@bp.get("/progress")
@login_required
def progress() -> str:
    from quizserver.unpublish import reported_banks

    served = reported_banks()  # a week taken off the course keeps its place in the student's history
    published = {sb.week for sb in served_banks()}
    return render_template(
        "quiz/progress.html", served=served, progress=week_progress(current_user, served), published=published
    )
