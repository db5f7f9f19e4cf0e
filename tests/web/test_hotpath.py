"""HotStatement: the same rows, transactions and errors as Connection.execute, on both databases; and
the request's Core connection it runs on when a request needs no ORM session."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask, request_tearing_down
from flask.testing import FlaskClient
from sqlalchemy import Float, bindparam, func, insert, literal, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from quizserver.catalog import served_bank
from quizserver.extensions import db
from quizserver.hotpath import HotStatement, commit_request, request_connection
from quizserver.models import Attempt, QuestionState, User, Variant
from quizserver.services import ensure_states
from tests.conftest import csrf_token

MOMENT = datetime(2026, 11, 21, 9, 30, 15, 123456, tzinfo=UTC)


def _variant_and_state(app: Flask, student: User) -> tuple[int, int]:
    with app.app_context():
        states = ensure_states(db.session.get_one(User, student.id), served_bank(1)).states
        db.session.commit()
        state = states["scale"]
        return state.id, state.variant_id


READS = {
    "columns of several types and a JSON key": lambda: select(
        Variant.id, Variant.seed, Variant.answer, Variant.choice_order, Variant.created_at, Variant.names
    ).where(Variant.id == bindparam("variant_id")),
    "a boolean expression and an outer join": lambda: select(
        QuestionState.id, (QuestionState.solved_at.is_not(None) | QuestionState.revealed_at.is_not(None)),
        Variant.answer,
    ).outerjoin(Variant, Variant.id == QuestionState.variant_id).where(QuestionState.id == bindparam("state_id")),
    "literals next to parameters": lambda: select(
        literal(2.5, Float) * bindparam("factor", type_=Float), func.coalesce(None, literal("fallback"))
    ),
    "no row": lambda: select(User.id).where(User.id == bindparam("state_id") + 1_000_000),
}


@pytest.mark.parametrize("name", list(READS))
def test_a_read_gives_what_connection_execute_gives(app: Flask, student: User, name: str) -> None:
    state_id, variant_id = _variant_and_state(app, student)
    statement = READS[name]()
    params = {"variant_id": variant_id, "state_id": state_id, "factor": 4.0}
    with app.app_context():
        connection = db.session.connection()
        expected = connection.execute(statement, params).first()
        got = HotStatement(statement).first(connection, params)
        assert got == (tuple(expected) if expected is not None else None)
        if got is not None:
            assert [type(v) for v in got] == [type(v) for v in expected]


def test_a_write_with_returning_stores_what_connection_execute_stores(app: Flask, student: User) -> None:
    state_id, _ = _variant_and_state(app, student)
    touch = update(QuestionState).where(QuestionState.id == bindparam("state_id")).values(
        last_attempt_at=bindparam("now")
    ).returning(QuestionState.id, QuestionState.last_attempt_at)
    with app.app_context():
        row = HotStatement(touch).first(db.session.connection(), {"state_id": state_id, "now": MOMENT})
        db.session.commit()
        assert row is not None and row[0] == state_id
        assert row[1].replace(tzinfo=UTC) == MOMENT  # SQLite hands back naive UTC
        stored = db.session.get_one(QuestionState, state_id).last_attempt_at
        assert stored is not None and stored.replace(tzinfo=UTC) == MOMENT


def _insert_attempt(student: User, variant_id: int, token: str) -> tuple[Any, dict[str, Any]]:
    statement = insert(Attempt).values(
        user_id=student.id, week=1, question_id="scale", variant_id=variant_id, bank_hash="h", seed=1,
        raw_answer="1", status="incorrect", score=0.0, credit=0.0, counted=False, message="",
        parsed=bindparam("parsed"), idempotency_key=bindparam("token"), created_at=MOMENT,
    ).returning(Attempt.id)  # fmt: skip
    return statement, {"parsed": {"value": [1.5, None]}, "token": token}


def test_a_write_without_result_columns_returns_none(app: Flask, student: User) -> None:
    state_id, _ = _variant_and_state(app, student)
    statement = update(QuestionState).where(QuestionState.id == bindparam("state_id")).values(wrong=7)
    with app.app_context():
        assert HotStatement(statement).first(db.session.connection(), {"state_id": state_id}) is None
        db.session.commit()
        assert db.session.get_one(QuestionState, state_id).wrong == 7


def test_a_unique_violation_is_sqlalchemys_integrity_error_and_the_session_rolls_back(
    app: Flask, student: User
) -> None:
    _, variant_id = _variant_and_state(app, student)
    statement, params = _insert_attempt(student, variant_id, "token-1")
    hot = HotStatement(statement)
    with app.app_context():
        (attempt_id,) = hot.first(db.session.connection(), params)
        db.session.commit()
        assert db.session.get_one(Attempt, attempt_id).parsed == {"value": [1.5, None]}
        with pytest.raises(IntegrityError) as raised:
            hot.first(db.session.connection(), params)
        assert "idempotency_key" in str(raised.value.orig).lower() or "unique" in str(raised.value.orig).lower()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1  # the connection still works


def test_a_missing_parameter_is_named(app: Flask) -> None:
    with app.app_context(), pytest.raises(KeyError, match="'id'"):
        HotStatement(select(User.email).where(User.id == bindparam("id"))).first(db.session.connection(), {})


@pytest.mark.postgres
def test_a_connection_the_server_dropped_is_invalidated(app: Flask, student: User) -> None:
    """A broken connection raises SQLAlchemy's error, flagged as a disconnect, and is not used again."""
    hot = HotStatement(select(User.email).where(User.id == bindparam("id")))
    with app.app_context():
        connection = db.session.connection()
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with db.engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        with pytest.raises(DBAPIError) as raised:
            hot.first(connection, {"id": student.id})
        assert raised.value.connection_invalidated
        db.session.rollback()
        assert hot.first(db.session.connection(), {"id": student.id}) == (student.email,)


def test_a_parameter_rendered_at_execution_time_is_refused(app: Flask) -> None:
    """An IN list is expanded by SQLAlchemy when it runs: such a statement stays with Connection.execute."""
    statement = select(User.id).where(User.id.in_(bindparam("ids", expanding=True)))
    with app.app_context(), pytest.raises(ValueError, match="IN lists"):
        HotStatement(statement).first(db.session.connection(), {"ids": [1, 2]})


# ---------------------------------------------------------------- the request's connection


def _stored_tokens(app: Flask) -> list[str | None]:
    with app.app_context():
        return list(db.session.scalars(select(Attempt.idempotency_key).order_by(Attempt.id)))


def test_the_request_connection_commits_once_and_goes_back_to_the_pool(app: Flask, student: User) -> None:
    _, variant_id = _variant_and_state(app, student)
    statement, params = _insert_attempt(student, variant_id, "committed")
    with app.test_request_context():
        pool = db.engine.pool
        connection = request_connection()
        assert request_connection() is connection  # one per request
        assert HotStatement(statement).first(connection, params) is not None
        commit_request()
        assert connection.closed and pool.checkedout() == 0
        commit_request()  # nothing left to commit: no error
    assert _stored_tokens(app) == ["committed"]


def test_a_request_that_ends_without_its_commit_leaves_nothing(app: Flask, student: User) -> None:
    """A view that fails after writing: the teardown closes the connection and its writes are undone."""
    _, variant_id = _variant_and_state(app, student)
    statement, params = _insert_attempt(student, variant_id, "never-committed")
    with pytest.raises(RuntimeError, match="the view failed"), app.test_request_context():
        HotStatement(statement).first(request_connection(), params)
        raise RuntimeError("the view failed")
    assert _stored_tokens(app) == []
    with app.app_context():
        assert db.engine.pool.checkedout() == 0


def test_an_answer_uses_no_orm_session(app: Flask, client: FlaskClient, student: User) -> None:
    """The sign-in's read and the answer's write both run on the request's connection, which is committed."""
    csrf = csrf_token(client, "/weeks/1")
    sessions: list[bool] = []

    def record(_sender: Flask, **_extra: Any) -> None:
        sessions.append(db.session.registry.has())

    with request_tearing_down.connected_to(record, app):
        response = client.post(
            "/weeks/1/scale/answer", data={"csrf_token": csrf, "answer": "12345", "token": "no-session"}
        )
    assert response.status_code == 302
    assert sessions == [False]
    assert _stored_tokens(app) == ["no-session"]
