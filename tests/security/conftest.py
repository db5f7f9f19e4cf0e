"""Fixtures for the security tests: users of every role, quick log-in, and a crawler for what a user can reach."""
from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask, session
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf
from werkzeug.security import generate_password_hash

from quizserver.accounts import create_user, start_login_session
from quizserver.extensions import db
from quizserver.models import User
from tests.conftest import PASSWORD

ROLES = ("anonymous", "student", "staff", "instructor")


def csrf_pair(app: Flask) -> tuple[str, str]:
    """A CSRF token for forms and the raw value a session must hold for it to be valid."""
    with app.test_request_context():
        token = generate_csrf()
        return token, session[app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")]


def login_as(client: FlaskClient, user: User | None) -> str:
    """Put a user's session into the client directly (fast, the same cookie and login session a real log-in makes).

    Returns a CSRF token valid for that session.
    """
    app = client.application
    token, raw = csrf_pair(app)
    if user is not None:
        with app.app_context():
            start_login_session(user)
            db.session.commit()
    with client.session_transaction() as stored:
        stored.clear()
        stored[app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")] = raw
        if user is not None:
            stored["_user_id"] = user.get_id()
            stored["_fresh"] = True
    return token


@dataclass
class Cast:
    """One user of each role, plus a second student whose data the first must never see."""

    student: User
    other: User
    staff: User
    instructor: User

    def of(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


@lru_cache(maxsize=1)
def password_hash() -> str:
    """scrypt is slow on purpose: hash the shared test password once per run."""
    return generate_password_hash(PASSWORD, method="scrypt")


def add_cast(app: Flask) -> Cast:
    users = {}
    with app.app_context():
        for key, role, email in (
            ("student", "student", "alice@uni.example"),
            ("other", "student", "bob@uni.example"),
            ("staff", "staff", "tutor@uni.example"),
            ("instructor", "instructor", "prof@uni.example"),
        ):
            users[key] = create_user(email, None, role=role, name=email.split("@")[0].title())
            users[key].password_hash = password_hash()
            users[key].session_version = 1
        db.session.commit()
        for user in users.values():
            db.session.refresh(user)
        db.session.expunge_all()
    return Cast(**users)


@pytest.fixture
def cast(app: Flask) -> Cast:
    return add_cast(app)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def crawl(client: FlaskClient, starts: list[str], limit: int = 300) -> Iterator[tuple[str, int, str, str]]:
    """Every same-site page reachable by GET from the starts: (url, status, content type, body)."""
    seen: set[str] = set()
    queue = deque(starts)
    while queue and len(seen) < limit:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        body = response.get_data(as_text=True)
        response.close()
        yield path, response.status_code, response.mimetype, body
        if response.status_code in (301, 302, 303, 307, 308):
            queue.append(urljoin(path, response.headers["Location"]))
        elif response.mimetype == "text/html":
            parser = _Links()
            parser.feed(body)
            queue.extend(urljoin(path, link.split("#")[0]) for link in parser.links if link.split("#")[0])
