"""What an answer sends to the database: the sign-in's read carries the answer's target, on both databases."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import event, update

from quizserver.catalog import VersionRef
from quizserver.extensions import db
from quizserver.models import User
from quizserver.security import answer_target
from tests.conftest import csrf_token, is_postgres
from tests.web.helpers import attempts_of, key_of, typed


@contextmanager
def statements_sent(app: Flask) -> Iterator[list[str]]:
    """The SQL the app's engine sends while the block runs, one line each."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def post_answer(client: FlaskClient, csrf: str, question_id: str, raw: str):
    return client.post(f"/weeks/1/{question_id}/answer", data={"csrf_token": csrf, "answer": raw})


@pytest.mark.parametrize(
    "kind", ["correct", "incorrect", "invalid"],
)
def test_an_answer_reads_the_account_and_its_target_in_one_query(app: Flask, client: FlaskClient, student: User, kind: str) -> None:
    csrf = csrf_token(client, "/weeks/1")
    raw = {"correct": typed(key_of(app, student.id, 1, "scale")), "incorrect": "12345", "invalid": "[1, 2"}[kind]
    with statements_sent(app) as sent:
        assert post_answer(client, csrf, "scale", raw).status_code == 302
    reads = [s for s in sent if s.startswith("SELECT")]
    assert len(reads) == 1, sent
    assert "FROM users LEFT OUTER JOIN bank_versions" in reads[0]
    assert "question_states" in reads[0] and "variants" in reads[0]
    if is_postgres(app):  # the write is one statement, in autocommit: no BEGIN, no COMMIT
        assert len(sent) == 2, sent
    assert [a.status for a in attempts_of(app, student.id, "scale")] == [kind]


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
    """The sign-in's read finds the week but no state: the view creates the variant, then grades."""
    csrf = csrf_token(client, "/account/password")  # a page that makes no variant
    assert attempts_of(app, student.id, "scale") == []
    with statements_sent(app) as sent:
        assert post_answer(client, csrf, "scale", "12345").status_code == 302
    assert any(s.startswith("INSERT INTO variants") for s in sent)
    assert [a.status for a in attempts_of(app, student.id, "scale")] == ["incorrect"]


def test_a_prefetched_target_serves_only_the_question_it_was_read_for(app: Flask, student: User) -> None:
    stale = (VersionRef(0, 1, "not-read", "nowhere.yaml"), None)
    with app.test_request_context():
        g.answer_target = (student.id, 1, "other-question", stale)
        ref, target = answer_target(student.id, 1, "scale")
        assert ref is not None and ref.content_hash != "not-read" and target is None  # read afresh: no state yet
        assert "answer_target" not in g  # used once, never carried over
        g.answer_target = (student.id, 1, "scale", stale)
        assert answer_target(student.id, 1, "scale") == stale
