"""What an answer sends to the database: the sign-in's read carries the answer's target, on both databases."""
from __future__ import annotations

import re
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from psycopg import pq
from sqlalchemy import delete, event, update

from quizserver.catalog import VersionRef
from quizserver.extensions import db
from quizserver.models import LoginSession, User
from quizserver.security import answer_target
from tests.conftest import csrf_token, is_postgres
from tests.web.helpers import attempts_of, key_of, typed


@contextmanager
def statements_sent(app: Flask) -> Iterator[list[str]]:
    """The statements the database receives while the block runs, one line each, as the driver sends them.

    Read off the connection itself, whatever sent them (SQLAlchemy, the hot path, psycopg's own BEGIN
    and COMMIT): libpq's protocol trace on PostgreSQL, SQLite's trace callback on SQLite.
    """
    sent: list[str] = []
    traces: dict[int, Any] = {}

    def start(dbapi_connection: Any, record: Any, proxy: Any = None) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(lambda statement: sent.append(one_line(statement)))
            return
        trace = traces[id(dbapi_connection)] = (dbapi_connection, tempfile.TemporaryFile())  # noqa: SIM115 - closed in stop()
        dbapi_connection.pgconn.trace(trace[1].fileno())
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

    def stop(dbapi_connection: Any, record: Any = None) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(None)
            return
        traced = traces.pop(id(dbapi_connection), None)
        if traced is not None:
            dbapi_connection.pgconn.untrace()
            traced[1].seek(0)
            sent.extend(executed_statements(traced[1].read().decode()))
            traced[1].close()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkout", start)
    event.listen(engine, "checkin", stop)
    try:
        yield sent
    finally:
        event.remove(engine, "checkout", start)
        event.remove(engine, "checkin", stop)
        for dbapi_connection, _ in list(traces.values()):
            stop(dbapi_connection)


def one_line(sql: str) -> str:
    return " ".join(sql.split())


_MESSAGE_START = re.compile(r"\n(?=[FB]\t\d+\t)")
_QUERY = re.compile(r' "(?P<text>.*)"$', re.DOTALL)
_PARSE = re.compile(r' "(?P<name>[^"]*)" "(?P<text>.*)" \d+( NNNN)*$', re.DOTALL)
_BIND = re.compile(r' "[^"]*" "(?P<name>[^"]*)"')


def executed_statements(trace: str) -> list[str]:
    """The statements a libpq trace shows the client sending: each simple Query, and each Execute with
    the text of the statement it binds (prepared ones are named in Parse and later bound by name)."""
    texts: dict[str, str] = {}
    bound = ""
    executed = []
    for line in _MESSAGE_START.split(trace.rstrip("\n")):  # a statement's text may span lines
        direction, _, message, *rest = line.split("\t", 3)
        if direction != "F":
            continue
        argument = rest[0] if rest else ""
        if message == "Query":
            executed.append(one_line(_QUERY.match(argument)["text"]))
        elif message == "Parse":
            parsed = _PARSE.match(argument)
            texts[parsed["name"]] = one_line(parsed["text"])
        elif message == "Bind":
            bound = texts[_BIND.match(argument)["name"]]
        elif message == "Execute":
            executed.append(bound)
    return executed


def post_answer(client: FlaskClient, csrf: str, question_id: str, raw: str):
    return client.post(f"/weeks/1/{question_id}/answer", data={"csrf_token": csrf, "answer": raw})


@pytest.mark.parametrize(
    "kind", ["correct", "incorrect", "invalid"],
)
def test_an_answer_reads_the_account_and_its_target_in_one_query(
    app: Flask, client: FlaskClient, student: User, kind: str
) -> None:
    csrf = csrf_token(client, "/weeks/1")
    raw = {"correct": typed(key_of(app, student.id, 1, "scale")), "incorrect": "12345", "invalid": "[1, 2"}[kind]
    with statements_sent(app) as sent:
        assert post_answer(client, csrf, "scale", raw).status_code == 302
    reads = [s for s in sent if s.startswith("SELECT")]
    assert len(reads) == 1, sent
    # the login session is checked in the same statement: a join, not a round trip of its own
    assert re.search(r"FROM users JOIN login_sessions ON .* LEFT OUTER JOIN bank_versions", reads[0]), reads[0]
    assert "question_states" in reads[0] and "variants" in reads[0]
    if is_postgres(app):  # the write is one statement, in autocommit: no BEGIN, no COMMIT
        assert len(sent) == 2, sent
    else:  # SQLite's writes run in one transaction
        assert sent[-1] == "COMMIT" and sum(s.startswith("BEGIN") for s in sent) == 1, sent
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
