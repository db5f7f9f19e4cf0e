"""Simultaneous submissions: never more counted attempts than allowed, never a lost or doubled one."""
from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quizserver.accounts import create_user
from quizserver.banksync import sync_banks
from quizserver.extensions import db
from tests.conftest import FIXTURES, PASSWORD, AuthActions
from tests.csrf import csrf_token
from tests.web.helpers import attempts_of, key_of, state_of

THREADS = 8


def logged_in_clients(app: Flask, email: str, count: int) -> list[tuple[FlaskClient, str]]:
    """`count` tabs of one student's browser (one session cookie), week 1 opened."""
    first = app.test_client()
    assert AuthActions(first).login(email).status_code == 302
    csrf = csrf_token(first, "/weeks/1")
    session = first.get_cookie("session")
    clients = []
    for _ in range(count):
        tab = app.test_client()
        tab.set_cookie(session.key, session.value, domain=session.domain)
        clients.append((tab, csrf))
    return clients


def post_at_once(
    clients: list[tuple[FlaskClient, str]], question_id: str, answers: list[str], tokens: list[str]
) -> list[int]:
    barrier = threading.Barrier(len(clients))

    def send(i: int) -> int:
        client, csrf = clients[i]
        data = {"csrf_token": csrf, "answer": answers[i], "token": tokens[i]}
        barrier.wait()
        return client.post(f"/weeks/1/{question_id}/answer", data=data).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(send, range(len(clients))))


def run_race(app: Flask, *, answers: Callable[[int], list[str]], same_token: bool):
    with app.app_context():
        user = create_user(f"racer-{secrets.token_hex(4)}@uni.example", PASSWORD)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    clients = logged_in_clients(app, user.email, THREADS)
    key = key_of(app, user.id, 1, "count")
    tokens = (
        [secrets.token_urlsafe(16)] * THREADS if same_token else [secrets.token_urlsafe(16) for _ in range(THREADS)]
    )
    codes = post_at_once(clients, "count", answers(key), tokens)
    return user, tokens, codes


def check_wrong_answers_race(app: Flask) -> None:
    user, tokens, codes = run_race(
        app, answers=lambda key: [str(key + 1 + i) for i in range(THREADS)], same_token=False
    )
    assert codes == [302] * THREADS
    rows = attempts_of(app, user.id, "count")
    assert sorted(r.idempotency_key for r in rows) == sorted(tokens), "an acknowledged submission has no row"
    assert sum(r.counted for r in rows) == 2, "more counted attempts than max_attempts"
    state = state_of(app, user.id, 1, "count")
    assert (state.attempts, state.wrong, state.credit) == (2, 2, 0.0)


def check_duplicate_form_race(app: Flask) -> None:
    user, tokens, codes = run_race(app, answers=lambda key: [str(key + 1)] * THREADS, same_token=True)
    assert codes == [302] * THREADS
    rows = attempts_of(app, user.id, "count")
    assert [r.idempotency_key for r in rows] == tokens[:1], "a double-submitted form recorded twice"
    assert state_of(app, user.id, 1, "count").attempts == 1


def check_correct_answers_race(app: Flask) -> None:
    user, tokens, codes = run_race(app, answers=lambda key: [str(key)] * THREADS, same_token=False)
    assert codes == [302] * THREADS
    rows = attempts_of(app, user.id, "count")
    assert len(rows) == THREADS
    assert sum(r.counted for r in rows) == 1, "a solved question counted again"
    state = state_of(app, user.id, 1, "count")
    assert (state.attempts, state.credit, state.attempts_to_correct) == (1, 1.0, 1)


RACES = [check_wrong_answers_race, check_duplicate_form_race, check_correct_answers_race]


@pytest.fixture
def sqlite_app(make_app: Callable[..., Flask], tmp_path) -> Flask:
    """SQLite even in the PostgreSQL run: several workers on one machine share a SQLite file."""
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'race.sqlite3'}")
    with app.app_context():
        assert sync_banks([FIXTURES / "banks"], variants=1).ok
        db.session.commit()
    return app


@pytest.mark.parametrize("race", RACES, ids=lambda f: f.__name__.removeprefix("check_"))
def test_simultaneous_submits_on_sqlite(sqlite_app: Flask, race: Callable[[Flask], None]) -> None:
    race(sqlite_app)


@pytest.mark.postgres
@pytest.mark.parametrize("race", RACES, ids=lambda f: f.__name__.removeprefix("check_"))
def test_simultaneous_submits_on_postgresql(app: Flask, race: Callable[[Flask], None]) -> None:
    race(app)


def test_another_students_token_is_never_replayed(sqlite_app: Flask) -> None:
    """A token is only a duplicate for its owner: someone else's answer is graded and recorded afresh."""
    users = []
    for _ in range(2):
        user, _, codes = run_race(sqlite_app, answers=lambda key: [str(key)] * THREADS, same_token=True)
        users.append(user)
        assert set(codes) == {302}
    # Both students used their own tokens above; now the second one sends the first one's token.
    first_token = attempts_of(sqlite_app, users[0].id, "count")[0].idempotency_key
    client, csrf = logged_in_clients(sqlite_app, users[1].email, 1)[0]
    response = client.post("/weeks/1/count/answer", data={"csrf_token": csrf, "answer": "0", "token": first_token})
    assert response.status_code == 302
    rows = attempts_of(sqlite_app, users[1].id, "count")
    assert len(rows) == 2 and rows[-1].raw_answer == "0" and rows[-1].idempotency_key is None
