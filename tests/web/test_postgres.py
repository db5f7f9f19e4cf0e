"""PostgreSQL connections (quizserver/postgres.py): reads outside transactions, a transaction from the
first write, a statement that is atomic by itself, and closed connections replaced without a ping."""
from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, func, insert, select, text, update
from sqlalchemy.pool import NullPool

from quizserver.answers import submit_answer
from quizserver.catalog import served_bank
from quizserver.extensions import db
from quizserver.models import Attempt, User
from quizserver.postgres import needs_transaction
from quizserver.variants import ensure_states, week_states
from tests.web.helpers import attempts_of, state_of


def options(**values: Any) -> dict[str, Any]:
    return values


@pytest.mark.parametrize(
    ("statement", "execution_options", "expected"),
    [
        ("SELECT users.id FROM users", {}, False),
        ("  select 1", {}, False),
        # The check reads no SQL grammar: a lock clause's words in a literal open a transaction that was not
        # needed (one BEGIN more), never the other way round.
        ("SELECT * FROM users WHERE email = 'for update'", {}, True),
        ("SELECT * FROM question_states FOR UPDATE", {}, True),
        ("SELECT * FROM question_states FOR NO KEY UPDATE", {}, True),
        ("SELECT * FROM question_states\nFOR SHARE", {}, True),
        ("SELECT * FROM question_states FOR KEY SHARE SKIP LOCKED", {}, True),
        ("SELECT * FROM attempts", options(stream_results=True), True),  # a server-side cursor
        ("SELECT * FROM attempts", options(yield_per=500), True),
        ("INSERT INTO attempts (id) VALUES (1)", {}, True),
        ("UPDATE question_states SET wrong = 0", {}, True),
        ("DELETE FROM attempts", {}, True),
        ("WITH claim AS (UPDATE question_states SET wrong = 0 RETURNING id) SELECT id FROM claim", {}, True),
        ("SAVEPOINT sa_savepoint_1", {}, True),
        ("CREATE TABLE t (id int)", {}, True),
    ],
)
def test_which_statements_open_a_transaction(statement: str, execution_options: dict[str, Any], expected: bool) -> None:
    assert needs_transaction(statement, execution_options) is expected


def transaction_status() -> TransactionStatus:
    return db.session.connection().connection.dbapi_connection.info.transaction_status


def other_connection(app: Flask, **engine_options: Any):
    """A connection outside the app's pool, as another worker or app server would have."""
    return create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool, **engine_options).connect()


def count_users(app: Flask, email: str) -> int:
    with other_connection(app) as conn:
        return conn.execute(select(func.count()).select_from(User).where(User.email == email)).scalar_one()


@pytest.mark.postgres
def test_a_read_leaves_no_transaction_open(app: Flask) -> None:
    with app.app_context():
        db.session.execute(select(User.id)).all()
        assert transaction_status() is TransactionStatus.IDLE
        db.session.commit()  # nothing to commit: no round trip, no error


@pytest.mark.postgres
def test_the_first_write_opens_a_transaction_that_holds_everything_after_it(app: Flask) -> None:
    email = f"tx-{secrets.token_hex(4)}@uni.example"
    with app.app_context():
        db.session.execute(select(User.id)).all()
        db.session.add(User(email=email, name="First"))
        db.session.flush()
        assert transaction_status() is TransactionStatus.INTRANS
        db.session.execute(select(User.id)).all()  # a read after a write joins the transaction
        db.session.execute(update(User).where(User.email == email).values(name="Second"))
        assert count_users(app, email) == 0, "another connection sees an uncommitted write"
        db.session.rollback()
        assert count_users(app, email) == 0, "the rollback left a write behind"
        db.session.add(User(email=email, name="Kept"))
        db.session.commit()
    assert count_users(app, email) == 1


@pytest.mark.postgres
def test_a_locking_read_opens_a_transaction_that_keeps_the_lock(app: Flask, make_user: Callable[..., User]) -> None:
    user = make_user()
    with app.app_context():
        db.session.execute(select(User).where(User.id == user.id).with_for_update()).one()
        assert transaction_status() is TransactionStatus.INTRANS
        with other_connection(app) as other:
            other.execute(text("SET lock_timeout = '200ms'"))
            with pytest.raises(Exception, match="lock"):
                other.execute(update(User).where(User.id == user.id).values(name="Blocked"))
        db.session.rollback()


@pytest.mark.postgres
def test_a_connection_the_server_closed_is_replaced_before_a_request_uses_it(
    app: Flask, client: FlaskClient, student: User
) -> None:
    assert client.get("/weeks/1").status_code == 200
    with app.app_context():
        pool = db.engine.pool
        assert pool.checkedin() >= 1, "the request returned no connection to the pool"
        database = db.engine.url.database
    # In autocommit: inside a transaction pg_stat_activity would keep showing its first snapshot.
    with other_connection(app, isolation_level="AUTOCOMMIT") as admin:
        admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        )
        for _ in range(100):  # the backends exit asynchronously
            left = admin.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"),
                {"db": database},
            ).scalar_one()
            if left == 0:
                break
            time.sleep(0.05)
        assert left == 0
    # Every pooled connection is dead now; without a check each would fail its next request.
    for _ in range(3):
        assert client.get("/weeks/1").status_code == 200
        assert client.get("/healthz").get_json()["database"] is True


@pytest.mark.postgres
def test_a_token_stored_while_the_answer_is_written_is_answered_once_and_keeps_earlier_writes(
    app: Flask, make_user: Callable[..., User]
) -> None:
    """The same form sent twice at once: the second insert waits for the first one's token, then inserts
    nothing and claims nothing; the request's earlier write is kept."""
    user = make_user()
    token = secrets.token_urlsafe(16)
    with app.app_context():
        served = served_bank(1)
        variant = ensure_states(user, served).states["count"].variant
        db.session.commit()
        variant_id, seed, key = variant.id, variant.seed, variant.answer
        row = {
            "user_id": user.id, "week": 1, "question_id": "count", "variant_id": variant_id,
            "bank_hash": served.version.content_hash, "seed": seed, "raw_answer": "0", "status": "incorrect",
            "score": 0.0, "message": "", "parsed": 0, "idempotency_key": token, "counted": True, "credit": 0.0,
        }  # fmt: skip
    outcome: dict[str, Any] = {}

    def answer_in_a_request() -> None:
        with app.app_context():
            db.session.execute(update(User).where(User.id == user.id).values(name="Renamed"))  # an earlier write
            question = next(q for q in served.bank.questions if q.id == "count")
            state = week_states(user.id, 1, "count")["count"]
            outcome["result"] = submit_answer(user.id, served, question, state, str(key), idempotency_key=token)
            db.session.commit()

    with other_connection(app) as first:
        first.execute(insert(Attempt).values(**row))  # the first of the two posts, not committed yet
        worker = threading.Thread(target=answer_in_a_request)
        worker.start()
        with other_connection(app, isolation_level="AUTOCOMMIT") as watcher:
            for _ in range(200):  # until the second post waits on the first one's token
                waiting = watcher.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
                if waiting:
                    break
                time.sleep(0.02)
        assert waiting, "the second post never waited on the first one's token"
        first.commit()
    worker.join(timeout=30)
    result: Any = outcome.get("result", SimpleNamespace(duplicate=None))
    assert result.duplicate is True
    assert [a.idempotency_key for a in attempts_of(app, user.id, "count")] == [token]
    assert state_of(app, user.id, 1, "count").attempts == 0, "the failed statement's claim was kept"
    with app.app_context():
        assert db.session.get(User, user.id).name == "Renamed", "the savepoint did not keep the earlier write"
