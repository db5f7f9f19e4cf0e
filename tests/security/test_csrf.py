"""Every state-changing request needs a valid CSRF token; without one it is refused and nothing changes."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from quizserver.accounts import issue_password_token
from quizserver.extensions import db
from quizserver.models import Attempt, PasswordToken, QuestionState, User, Variant

from .conftest import Cast, login_as
from .test_access import routes, url_values

pytestmark = pytest.mark.security

# Whatever a form could want, so that only the missing token stands between the request and a change.
EVERY_FIELD = {
    "answer": "1",
    "password": "a new password 123",
    "confirm": "a new password 123",
    "role": "instructor",
    "active": "0",
    "rows": "[]",
}


def fingerprint(app: Flask) -> tuple:
    with app.app_context():
        models = (User, Attempt, QuestionState, Variant, PasswordToken)
        counts = tuple(db.session.scalar(select(func.count()).select_from(model)) for model in models)
        users = db.session.execute(
            select(User.id, User.role, User.active, User.session_version, User.password_hash).order_by(User.id)
        ).all()
        states = db.session.execute(
            select(QuestionState.id, QuestionState.variant_id, QuestionState.revealed_at, QuestionState.attempts)
            .order_by(QuestionState.id)
        ).all()
        return counts, tuple(users), tuple(states)


def post_urls(app: Flask, cast: Cast) -> list[str]:
    values = url_values(cast)
    urls = []
    for _, method, rule, names in routes(app):
        if method not in ("POST", "PUT", "PATCH", "DELETE"):
            continue
        url = rule
        for name in names:
            for pattern in (f"<{name}>", f"<int:{name}>", f"<path:{name}>"):
                url = url.replace(pattern, str(values[name]))
        urls.append(url)
    return urls


@pytest.mark.parametrize("role", ["anonymous", "student", "instructor"])
@pytest.mark.parametrize("token", ["missing", "forged", "from another session"])
def test_every_post_without_a_valid_token_is_refused(app: Flask, cast: Cast, role: str, token: str) -> None:
    client = app.test_client()
    login_as(client, cast.of(role))
    client.get("/weeks/1")  # the student's variants exist, so a reveal or new numbers could change something
    with app.app_context():
        link = issue_password_token(db.session.get(User, cast.other.id))
        db.session.commit()
    url_for_token = {"/set-password/not-a-real-token": f"/set-password/{link}"}
    other_client = app.test_client()
    foreign = login_as(other_client, cast.other)
    sent = {
        "missing": {},
        "forged": {"csrf_token": "forged." + "x" * 40},
        "from another session": {"csrf_token": foreign},
    }[token]
    before = fingerprint(app)
    urls = [url_for_token.get(url, url) for url in post_urls(app, cast)]
    assert "/weeks/1/scale/answer" in urls and "/login" in urls
    for url in urls:
        data = {**sent, **EVERY_FIELD, "email": cast.student.email}
        for accept in ("text/html", "application/json"):
            response = client.post(url, data=data, headers={"Accept": accept})
            assert response.status_code == 400, f"POST {url} ({accept}) without a valid token: {response.status_code}"
    assert fingerprint(app) == before


def test_the_json_endpoint_accepts_the_token_in_a_header(app: Flask, cast: Cast) -> None:
    client = app.test_client()
    token = login_as(client, cast.student)
    client.get("/weeks/1")
    refused = client.post("/weeks/1/scale/answer", data={"answer": "1"}, headers={"Accept": "application/json"})
    accepted = client.post(
        "/weeks/1/scale/answer", data={"answer": "1"}, headers={"Accept": "application/json", "X-CSRFToken": token}
    )
    assert refused.status_code == 400
    assert accepted.status_code == 200 and accepted.is_json
