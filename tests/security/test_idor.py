"""One student, another student's ids: every URL with an id or an email is refused, and nothing of theirs shows."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from quizserver.extensions import db
from quizserver.models import Attempt, QuestionState, Variant

from .conftest import Cast, crawl, login_as
from .test_access import routes

pytestmark = pytest.mark.security

ID_NAMES = {"user_id", "student_id", "attempt_id", "variant_id", "state_id", "token_id", "id", "email"}
# The CSRF and answer-form tokens are random base64: "Bob" turns up in one now and then.
RANDOM_TOKEN = re.compile(r'(name="(?:csrf_token|token)"[^>]*value=")[^"]*"')
BOBS_NAME = re.compile(r"\bBob\b")


def shows_bobs_name(body: str) -> bool:
    return BOBS_NAME.search(RANDOM_TOKEN.sub(r'\1"', body)) is not None


def bobs_ids(app: Flask, cast: Cast) -> dict[str, object]:
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == cast.other.id))
        state = db.session.scalar(select(QuestionState).where(QuestionState.user_id == cast.other.id))
        variant = db.session.scalar(select(Variant).where(Variant.user_id == cast.other.id))
        assert attempt and state and variant
        return {
            "user_id": cast.other.id,
            "student_id": cast.other.id,
            "attempt_id": attempt.id,
            "variant_id": variant.id,
            "state_id": state.id,
            "id": cast.other.id,
            "email": cast.other.email,
            "week": 1,
            "question_id": "scale",
            "token_id": 1,
        }


def bob_answers(app: Flask, cast: Cast, raw: str) -> None:
    bob = app.test_client()
    token = login_as(bob, cast.other)
    bob.get("/weeks/1")
    assert bob.post("/weeks/1/scale/answer", data={"answer": raw, "csrf_token": token}).status_code == 302


def test_every_url_with_an_id_or_email_refuses_another_student(app: Flask, cast: Cast) -> None:
    bob_answers(app, cast, "4242.4242")
    values = bobs_ids(app, cast)
    client = app.test_client()
    token = login_as(client, cast.student)
    tried = []
    for endpoint, method, rule, names in routes(app):
        if not ID_NAMES & set(names):
            continue
        url = rule
        for name in names:
            for pattern in (f"<{name}>", f"<int:{name}>", f"<path:{name}>"):
                url = url.replace(pattern, str(values.get(name, "x")))
        response = client.open(url, method=method, data={"csrf_token": token} if method != "GET" else None)
        body = response.get_data(as_text=True)
        tried.append(url)
        assert response.status_code in (403, 404), (
            f"{method} {url} ({endpoint}) gave {response.status_code} to another student"
        )
        assert "bob@uni.example" not in body and "4242.4242" not in body
    assert any("/admin/users/" in url for url in tried) and any("/staff/students/" in url for url in tried)


def test_no_page_a_student_reaches_shows_another_students_answers_or_account(app: Flask, cast: Cast) -> None:
    bob_answers(app, cast, "4242.4242")
    client = app.test_client()
    login_as(client, cast.student)
    for url, status, _, body in crawl(client, ["/weeks", "/weeks/1", "/progress", "/account/password"]):
        assert status < 500
        assert "4242.4242" not in body and "bob@uni.example" not in body and not shows_bobs_name(body), url


@pytest.mark.parametrize(
    ("body", "shows"),
    [
        ('<input type="hidden" name="csrf_token" value="IjBobX.aBob-Bob_">', False),
        ('<input type="hidden" name="token" value="a-Bob-c">', False),
        ('<td>Bob</td><input type="hidden" name="csrf_token" value="x">', True),
        ("<p>Signed in as Bob.</p>", True),
        ("<p>Bobby Tables</p>", False),  # another name that merely starts alike
    ],
)
def test_the_name_check_ignores_form_tokens_but_not_the_page(body: str, shows: bool) -> None:
    assert shows_bobs_name(body) is shows


def test_another_students_form_token_does_not_replay_their_attempt(app: Flask, cast: Cast) -> None:
    bob = app.test_client()
    bob_token = login_as(bob, cast.other)
    bob.get("/weeks/1")
    bob.post(
        "/weeks/1/scale/answer", data={"answer": "4242.4242", "token": "shared-form-token", "csrf_token": bob_token}
    )
    client = app.test_client()
    token = login_as(client, cast.student)
    client.get("/weeks/1")
    reply = client.post(
        "/weeks/1/scale/answer",
        data={"answer": "1", "token": "shared-form-token", "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert reply.status_code == 200 and "4242.4242" not in reply.get_data(as_text=True)
    with app.app_context():
        mine = db.session.scalars(select(Attempt).where(Attempt.user_id == cast.student.id)).all()
        assert [a.raw_answer for a in mine] == ["1"]


def test_staff_may_see_a_student_but_a_student_never_sees_staff_pages(app: Flask, cast: Cast) -> None:
    bob_answers(app, cast, "4242.4242")
    staff = app.test_client()
    login_as(staff, cast.staff)
    assert staff.get(f"/staff/students/{cast.other.id}").status_code == 200
    student = app.test_client()
    login_as(student, cast.student)
    staff_pages = ["/staff/", "/staff/attempts.csv", "/staff/gradebook.csv"]
    for url in [f"/staff/students/{cast.other.id}", f"/staff/students/{cast.student.id}", *staff_pages]:
        response = student.get(url)
        assert response.status_code == 403 and "bob@uni.example" not in response.get_data(as_text=True), url
