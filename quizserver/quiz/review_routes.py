"""The Review page: missed questions of closed weeks come back with new numbers on a Leitner schedule.

Also what the week list and the progress page show beside the scores (reviews due, exam admission):
template functions, so those views need not change and the figures are read only where shown.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from quizserver import admission, review
from quizserver.bank.pool import split_part_html
from quizserver.catalog import served_bank, served_banks
from quizserver.extensions import db
from quizserver.grading.locale_numbers import normalize_decimal_comma
from quizserver.i18n import current_language
from quizserver.throttle import student_wait

from . import bp
from .forms import STORED_CHOICE_LENGTH, AnswerForm
from .presenters import UnreadableChoice, choice_ids, choice_order, shape_hint, shown_html


def _settings() -> review.ReviewSettings:
    return review.settings_from(current_app.config["QUIZ"])


def _now() -> datetime:
    return datetime.now(UTC)


@bp.app_template_global()
def review_due_today() -> int | None:
    """Questions due for review today for the signed-in student (None for staff and when signed out)."""
    if not current_user.is_authenticated or current_user.is_staff:
        return None
    return review.due_count(current_user.id, served_banks(), _now(), _settings())


@bp.app_template_global()
def my_admission() -> admission.Admission | None:
    """The signed-in student's exam admission, or None when the course has no admission rule."""
    if not current_user.is_authenticated or current_user.is_staff:
        return None
    rule = admission.rule_from(current_app.config["QUIZ"])
    return admission.student_admission(rule, served_banks(), current_user.id, _now())


@bp.app_template_global()
def admission_rule() -> admission.AdmissionRule:
    return admission.rule_from(current_app.config["QUIZ"])


def _card_view(card: review.ReviewCard) -> dict[str, Any]:
    """What the template needs of a card's numbers: HTML from the pool, the shape hint, the choices in order."""
    if card.variant is None:
        return {}
    question = card.question
    shown = shown_html(question, card.variant)
    hint, shape = shape_hint(question, card.variant.answer)
    choices = []
    if question.is_choice:
        order = choice_order(question, card.variant.choice_order)
        choices = [(str(i), shown.choices[cid], cid) for i, cid in enumerate(order, start=1) if cid in shown.choices]
    stem_html, own_html = split_part_html(shown.raw_text)  # a part shows its question's shared text above it
    return {
        "stem_html": stem_html,
        "text_html": own_html,
        "explanation_html": shown.explanation,
        "hint": hint,
        "shape": shape,
        "choices": choices,
        "key_text": review.shown_key(question, card.variant.answer),
    }


@bp.get("/review")
@login_required
def review_page() -> str:
    settings = _settings()
    page = review.review_page(current_user, served_banks(), _now(), settings)
    db.session.commit()
    views = {card.item.id: _card_view(card) for card in [*page.due, *page.answered]}
    return render_template(
        "quiz/review.html",
        page=page,
        views=views,
        schedule=settings.schedule,
        top_box=settings.schedule.top_box,
    )


@bp.post("/review/<int:item_id>/answer")
@login_required
def review_answer(item_id: int) -> Response | tuple[str, int]:
    item = review.reviewable(current_user.id, item_id)
    if item is None:
        abort(404, gettext("There is no such question in your review."))
    seconds = student_wait("ANSWER_LIMIT", "review-answer")  # its own page when refused, not the week page's
    if seconds is not None:
        return render_template("quiz/review_limited.html", seconds=seconds, item_id=item_id), 429
    back = redirect(url_for("quiz.review_page") + f"#r-{item_id}")
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(gettext("Your answer could not be read (the form expired or was too long). Please try again."), "error")
        return back
    served = served_bank(item.week)
    question = served.bank.question(item.question_id) if served is not None else None
    unreadable = None
    raw = normalize_decimal_comma(form.answer.data or "", current_language())  # German 0,5 is 0.5
    if question is not None and question.is_choice:
        positions = form.choice.data or []
        order = item.variant.choice_order if item.variant is not None else None
        try:
            raw = choice_ids(choice_order(question, order), positions)
        except UnreadableChoice as error:
            raw, unreadable = ",".join(positions)[:STORED_CHOICE_LENGTH], error.message
    outcome = review.answer_review(
        item, served, raw, now=_now(), settings=_settings(), idempotency_key=form.token.data or None,
        unreadable=unreadable,
    )  # fmt: skip
    db.session.commit()
    if outcome.result is review.ReviewResult.NOT_DUE:
        flash(gettext("This question was already answered; it comes back when it is due."), "info")
    elif outcome.result is review.ReviewResult.GONE:
        flash(gettext("This question is not reviewed now: it was removed from the course, or its week is open again."),
              "info")
    return back
