"""The answer path: who may answer, what an answer needs, and a cost that does not grow with a student's history."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, event, insert, update

from quizserver.extensions import db
from quizserver.models import Attempt, LoginSession, User, utcnow
from tests.conftest import csrf_token
from tests.web.helpers import attempts_of, key_of, state_of, typed


@contextmanager
def statements_sent(app: Flask) -> Iterator[list[str]]:
    """The SQL statements SQLAlchemy sends while the block runs (its before_cursor_execute event)."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def post_answer(client: FlaskClient, csrf: str, question_id: str, raw: str, *, json: bool = False):
    headers = {"Accept": "application/json"} if json else {}
    return client.post(f"/weeks/1/{question_id}/answer", data={"csrf_token": csrf, "answer": raw}, headers=headers)


def add_history(app: Flask, user_id: int, count: int) -> None:
    """`count` earlier (wrong, uncounted) answers on each question's current variant, as if made over weeks."""
    rows = []
    for question_id in ("scale", "outer", "count", "relu"):
        state = state_of(app, user_id, 1, question_id)
        for i in range(count):
            rows.append({
                "user_id": user_id, "week": 1, "question_id": question_id, "variant_id": state.variant_id,
                "bank_hash": "history", "seed": state.variant.seed, "raw_answer": str(i), "status": "incorrect",
                "score": 0.0, "credit": 0.0, "counted": False, "message": "Not correct.", "parsed": i,
                "created_at": utcnow() - timedelta(days=7, minutes=count - i),
            })  # fmt: skip
    with app.app_context():
        db.session.execute(insert(Attempt), rows)
        db.session.commit()


@pytest.mark.parametrize("kind", ["correct", "incorrect", "invalid"])
def test_an_answer_is_recorded_and_replied_to(app: Flask, client: FlaskClient, student: User, kind: str) -> None:
    csrf = csrf_token(client, "/weeks/1")
    raw = {"correct": typed(key_of(app, student.id, 1, "scale")), "incorrect": "12345", "invalid": "[1, 2"}[kind]
    reply = post_answer(client, csrf, "scale", raw, json=True)
    assert reply.status_code == 200 and reply.get_json()["status"] == kind
    assert [a.status for a in attempts_of(app, student.id, "scale")] == [kind]
    assert state_of(app, student.id, 1, "scale").attempts == (0 if kind == "invalid" else 1)


@pytest.mark.parametrize("path", ["/weeks/1", "json-answer", "form-answer"])
def test_the_cost_does_not_grow_with_a_students_history(
    app: Flask, client: FlaskClient, make_user: Any, path: str
) -> None:
    """A student with 300 earlier answers per question costs as many statements as one with 4."""
    from tests.conftest import AuthActions

    counts = []
    for history in (4, 300):
        user = make_user()
        browser = app.test_client()
        assert AuthActions(browser).login(user.email).status_code == 302
        csrf = csrf_token(browser, "/weeks/1")
        add_history(app, user.id, history)
        with statements_sent(app) as sent:
            if path == "/weeks/1":
                assert browser.get(path).status_code == 200
            else:
                response = post_answer(browser, csrf, "scale", "12345", json=path == "json-answer")
                assert response.status_code == (200 if path == "json-answer" else 302)
        counts.append(len(sent))
    assert counts[0] == counts[1], f"{path}: {counts[0]} statements with 4 earlier answers, {counts[1]} with 300"


def test_the_week_page_reads_every_question_in_a_fixed_number_of_statements(
    app: Flask, client: FlaskClient, student: User
) -> None:
    client.get("/weeks/1")  # the first visit creates the variants
    with statements_sent(app) as sent:
        assert client.get("/weeks/1").status_code == 200
    reads_of_states = [s for s in sent if s.startswith("SELECT question_states.")]
    assert len(reads_of_states) == 1, sent  # states, variants and the pool's HTML in one query
    assert not any(s.startswith("SELECT variants.") or s.startswith("SELECT pool_variants.") for s in sent), sent


def test_an_answer_from_a_session_that_has_ended_is_not_recorded(
    app: Flask, client: FlaskClient, student: User
) -> None:
    csrf = csrf_token(client, "/weeks/1")
    with app.app_context():
        db.session.execute(update(User).where(User.id == student.id).values(session_version=User.session_version + 1))
        db.session.commit()
    response = post_answer(client, csrf, "scale", "1")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert attempts_of(app, student.id, "scale") == []


def test_an_answer_from_a_browser_that_logged_out_is_not_recorded(
    app: Flask, client: FlaskClient, student: User
) -> None:
    csrf = csrf_token(client, "/weeks/1")
    with app.app_context():
        db.session.execute(delete(LoginSession).where(LoginSession.user_id == student.id))
        db.session.commit()
    assert "/login" in post_answer(client, csrf, "scale", "1").headers["Location"]
    assert attempts_of(app, student.id, "scale") == []


def test_a_deactivated_account_cannot_answer(app: Flask, client: FlaskClient, student: User) -> None:
    csrf = csrf_token(client, "/weeks/1")
    with app.app_context():
        db.session.execute(update(User).where(User.id == student.id).values(active=False))
        db.session.commit()
    assert "/login" in post_answer(client, csrf, "scale", "1").headers["Location"]
    assert attempts_of(app, student.id, "scale") == []


def test_an_answer_to_a_week_without_a_bank_is_404_and_stores_nothing(
    app: Flask, client: FlaskClient, student: User
) -> None:
    csrf = csrf_token(client, "/weeks/1")
    assert post_answer(client, csrf, "scale", "1").status_code == 302  # the same form, week 1: recorded
    response = client.post("/weeks/99/scale/answer", data={"csrf_token": csrf, "answer": "1"})
    assert response.status_code == 404
    assert len(attempts_of(app, student.id, "scale")) == 1


def test_an_answer_before_the_page_made_the_variant_creates_it(app: Flask, client: FlaskClient, student: User) -> None:
    csrf = csrf_token(client, "/account/password")  # a page that makes no variant
    assert attempts_of(app, student.id, "scale") == []
    assert post_answer(client, csrf, "scale", "12345").status_code == 302
    assert [a.status for a in attempts_of(app, student.id, "scale")] == ["incorrect"]
    assert state_of(app, student.id, 1, "scale").attempts == 1
