"""Reading a student's stored variant, and answering through the real form."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from quizserver.extensions import db
from quizserver.grading import format_answer
from quizserver.models import Attempt, QuestionState
from tests.csrf import CSRF_PATTERN as CSRF  # noqa: F401  (tests import it from here too)
from tests.csrf import csrf_in


def state_of(app: Flask, user_id: int, week: int, question_id: str) -> QuestionState:
    with app.app_context():
        state = db.session.scalars(
            select(QuestionState).where(
                QuestionState.user_id == user_id,
                QuestionState.week == week,
                QuestionState.question_id == question_id,
            )
        ).one()
        _ = state.variant.pool_variant  # load both before the session closes
        db.session.expunge_all()
        return state


def numbers_of(state: QuestionState) -> dict[str, Any]:
    """The student's drawn parameters and shown values: from the pool, or a variant's own from before pools."""
    pooled = state.variant.pool_variant
    if pooled is None:
        return dict(state.variant.names or {})
    return {**pooled.params, **pooled.names}


def key_of(app: Flask, user_id: int, week: int, question_id: str) -> Any:
    return state_of(app, user_id, week, question_id).variant.answer


def attempts_of(app: Flask, user_id: int, question_id: str) -> list[Attempt]:
    with app.app_context():
        rows = db.session.scalars(
            select(Attempt).where(Attempt.user_id == user_id, Attempt.question_id == question_id).order_by(Attempt.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def answer(client: FlaskClient, week: int, question_id: str, raw: str | list[str], token: str | None = None):
    data: dict[str, Any] = {"csrf_token": csrf_in(client.get(f"/weeks/{week}").get_data(as_text=True), "the quiz page")}
    if isinstance(raw, list):
        data["choice"] = choice_positions(client, week, question_id, raw)
    else:
        data["answer"] = raw
    if token:
        data["token"] = token
    return client.post(f"/weeks/{week}/{question_id}/answer", data=data)


def choice_positions(client: FlaskClient, week: int, question_id: str, ids: list[str]) -> list[str]:
    """The form posts places in the student's shuffled order, never the author's choice ids."""
    with client.session_transaction() as session:
        user_id = int(session["_user_id"].partition(":")[0])
    order = state_of(client.application, user_id, week, question_id).variant.choice_order
    return [str(order.index(i) + 1) for i in ids]


def post_action(client: FlaskClient, week: int, question_id: str, action: str):
    csrf = csrf_in(client.get(f"/weeks/{week}").get_data(as_text=True), "the quiz page")
    return client.post(f"/weeks/{week}/{question_id}/{action}", data={"csrf_token": csrf})


def typed(key: Any) -> str:
    return format_answer(key)
