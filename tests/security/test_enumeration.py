"""Whether an email has an account does not show: sign-up and log-in answer the same, doing the same work."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from quizserver import accounts
from quizserver.extensions import db
from quizserver.models import User
from tests.conftest import ENROLLMENT_KEY, PASSWORD, csrf_token

pytestmark = pytest.mark.security

TOKEN_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')
NEW_PASSWORD = "a quite new passphrase 42"


def normalized(body: str, email: str) -> str:
    return TOKEN_VALUE.sub(r'\1TOKEN"', body).replace(email, "EMAIL")


class Hashes:
    """Counts the password hashes computed and checked: scrypt is the work a clock would notice."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        for name in ("generate_password_hash", "check_password_hash"):
            real = getattr(accounts, name)
            monkeypatch.setattr(accounts, name, self._counting(real))

    def _counting(self, real):
        def counted(*args, **kwargs):
            self.count += 1
            return real(*args, **kwargs)

        return counted


def sign_up(client: FlaskClient, email: str) -> tuple[int, str, str]:
    data = {
        "email": email, "name": "Someone", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        "enrollment_key": ENROLLMENT_KEY, "csrf_token": csrf_token(client, "/signup"),
    }  # fmt: skip
    response = client.post("/signup", data=data, follow_redirects=True)
    return response.status_code, normalized(response.get_data(as_text=True), email), response.request.path


def test_sign_up_answers_the_same_whether_or_not_the_email_has_an_account(
    app: Flask, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = make_user("student", email="taken@uni.example")
    hashes = Hashes(monkeypatch)
    taken = sign_up(app.test_client(), existing.email)
    work_taken, hashes.count = hashes.count, 0
    fresh = sign_up(app.test_client(), "fresh@uni.example")
    assert taken == fresh
    assert work_taken == hashes.count  # the same password hashing either way
    status, page, path = fresh
    assert status == 200 and path == "/login" and "already exists" not in page
    assert "log in" in page.lower() and "set-password link" in page  # the next step, for either case
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "fresh@uni.example")) == 1
        # The existing account is untouched: its password is still the old one.
        assert accounts.authenticate(existing.email, PASSWORD) is not None
        assert accounts.authenticate(existing.email, NEW_PASSWORD) is None


def test_the_new_account_logs_in_with_the_password_it_chose(app: Flask) -> None:
    client = app.test_client()
    sign_up(client, "fresh@uni.example")
    data = {"email": "fresh@uni.example", "password": NEW_PASSWORD, "csrf_token": csrf_token(client, "/login")}
    assert client.post("/login", data=data).status_code == 302


def test_log_in_says_the_same_for_an_unknown_email_a_wrong_password_and_an_account_without_one(
    app: Flask, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    known = make_user("student", email="known@uni.example")
    with app.app_context():
        accounts.create_user("imported@uni.example", None)  # from a roster: no password yet
        db.session.commit()
    hashes = Hashes(monkeypatch)
    answers = []
    for email, password in (
        (known.email, "not the password"), ("unknown@uni.example", PASSWORD), ("imported@uni.example", PASSWORD)
    ):
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)})
        answers.append((response.status_code, normalized(response.get_data(as_text=True), email), hashes.count))
        hashes.count = 0
    assert answers[0] == answers[1] == answers[2]
    assert "Wrong email or password." in answers[0][1]
