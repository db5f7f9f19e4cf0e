"""Account management: roster import with one-time links, resets, roles, deactivation, password changes."""
from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from quizserver.accounts import PASSWORD_LINK_LIFETIME, issue_password_token, parse_roster, token_digest
from quizserver.extensions import db
from quizserver.models import Attempt, PasswordToken, User, utcnow
from tests.conftest import PASSWORD, AuthActions
from tests.csrf import csrf_in, csrf_token

from .conftest import Cast, login_as

pytestmark = pytest.mark.security

LINK = re.compile(r"http://localhost/set-password/([A-Za-z0-9_-]+)")
NEW_PASSWORD = "a much better passphrase"


def upload(client: FlaskClient, token: str, content: bytes, filename: str = "roster.csv"):
    return client.post(
        "/admin/import",
        data={"csrf_token": token, "roster": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def user_by_email(app: Flask, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def set_password_via_link(app: Flask, link_token: str, password: str = NEW_PASSWORD):
    client = app.test_client()
    page = client.get(f"/set-password/{link_token}")
    assert page.status_code == 200
    data = {"csrf_token": csrf_in(page.get_data(as_text=True), "the set-password page"), "password": password,
            "confirm": password}  # fmt: skip
    return client, client.post(f"/set-password/{link_token}", data=data)


def test_roster_import_creates_accounts_with_one_time_links(app: Flask, cast: Cast) -> None:
    client = app.test_client()
    token = login_as(client, cast.instructor)
    roster = (
        "email,name\nada@uni.example,Ada Lovelace\nALICE@uni.example,Alice Again\n Grace@Uni.Example , Grace Hopper\n\n"
    )
    response = upload(client, token, roster.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Imported 2 new students" in page
    links = LINK.findall(page)
    assert len(set(links)) == 2
    assert "alice@uni.example" in page.split("Already had an account")[1]  # reported, not duplicated
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "alice@uni.example")) == 1
        ada = db.session.scalar(select(User).where(User.email == "ada@uni.example"))
        assert ada.name == "Ada Lovelace" and ada.password_hash is None and ada.role == "student"
        stored = set(db.session.scalars(select(PasswordToken.token_hash)))
        assert stored == {token_digest(link) for link in links}  # only hashes are stored
    # the links download as CSV, formula-safe
    csv_reply = client.post("/admin/links.csv", data={"csrf_token": token, "rows": json.dumps([["=cmd@evil", "Ada", "http://x/1"]])})
    assert csv_reply.status_code == 200 and csv_reply.mimetype == "text/csv"
    assert "attachment" in csv_reply.headers["Content-Disposition"]
    assert list(csv.reader(io.StringIO(csv_reply.get_data(as_text=True))))[1] == ["'=cmd@evil", "Ada", "http://x/1"]
    hidden = re.search(r'name="rows" type="hidden" value="([^"]+)"', page)
    assert hidden, "the links page offers no download"
    rows = json.loads(html.unescape(hidden.group(1)))
    assert sorted(r[0] for r in rows) == ["ada@uni.example", "grace@uni.example"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00b\x00a\x00d", "not UTF-8"),
        (b"", "no rows"),
        (b"email,name\n", "only a header row"),
        (b"bob-at-uni,Bob\n", "An email address must have an @-sign."),
        (b'ada@uni.example,"unterminated\n', "not valid CSV"),
        (b"name;surname\nAda;Lovelace\n", "must have an @-sign"),
    ],
)
def test_a_malformed_roster_is_explained_and_imports_nothing(
    app: Flask, cast: Cast, content: bytes, message: str
) -> None:
    client = app.test_client()
    token = login_as(client, cast.instructor)
    before = user_count(app)
    response = upload(client, token, content)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert user_count(app) == before


def user_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User)) or 0


def test_roster_parser_reads_headers_in_any_order_and_semicolons() -> None:
    rows, problems = parse_roster("Name;E-Mail\nAda;ada@uni.example\n".encode("utf-8-sig"))
    assert not problems and [(r.email, r.name, r.line) for r in rows] == [("ada@uni.example", "Ada", 2)]


def test_a_set_password_link_works_once(app: Flask, cast: Cast) -> None:
    with app.app_context():
        user = db.session.get(User, cast.other.id)
        link = issue_password_token(user)
        db.session.commit()
    client, response = set_password_via_link(app, link)
    assert response.status_code == 302 and client.get("/weeks").status_code == 200  # logged in
    again = app.test_client().get(f"/set-password/{link}")
    assert again.status_code == 404 and "not valid any more" in again.get_data(as_text=True)
    assert AuthActions(app.test_client()).login(cast.other.email, NEW_PASSWORD).status_code == 302
    assert AuthActions(app.test_client()).login(cast.other.email, PASSWORD).status_code == 200


def test_expired_unknown_and_replaced_links_give_a_friendly_page(app: Flask, cast: Cast) -> None:
    with app.app_context():
        user = db.session.get(User, cast.other.id)
        old = issue_password_token(user, now=utcnow() - PASSWORD_LINK_LIFETIME - timedelta(minutes=1))
        replaced = issue_password_token(user)
        current = issue_password_token(user)
        db.session.commit()
    for link in (old, replaced, "unknown-token", "x" * 500):
        response = app.test_client().get(f"/set-password/{link}")
        assert response.status_code == 404 and "Ask your instructor for a new link" in response.get_data(as_text=True)
    assert app.test_client().get(f"/set-password/{current}").status_code == 200


def test_an_instructor_reset_issues_a_new_link(app: Flask, cast: Cast) -> None:
    client = app.test_client()
    token = login_as(client, cast.instructor)
    response = client.post(f"/admin/users/{cast.other.id}/reset", data={"csrf_token": token})
    links = sorted(set(LINK.findall(response.get_data(as_text=True))))
    assert response.status_code == 200 and len(links) == 1
    _, done = set_password_via_link(app, links[0])
    assert done.status_code == 302


def test_roles_can_be_changed_but_not_your_own(app: Flask, cast: Cast) -> None:
    client = app.test_client()
    token = login_as(client, cast.instructor)
    client.post(f"/admin/users/{cast.student.id}/role", data={"csrf_token": token, "role": "staff"})
    assert user_by_email(app, cast.student.email).role == "staff"
    client.post(f"/admin/users/{cast.student.id}/role", data={"csrf_token": token, "role": "student"})
    assert user_by_email(app, cast.student.email).role == "student"
    refused = client.post(
        f"/admin/users/{cast.instructor.id}/role", data={"csrf_token": token, "role": "student"}, follow_redirects=True
    )
    assert "cannot demote yourself" in refused.get_data(as_text=True)
    client.post(f"/admin/users/{cast.student.id}/role", data={"csrf_token": token, "role": "superuser"})
    assert user_by_email(app, cast.student.email).role == "student"


def test_a_deactivated_account_is_logged_out_cannot_log_in_and_keeps_its_data(app: Flask, cast: Cast) -> None:
    student = app.test_client()
    assert AuthActions(student).login(cast.student.email).status_code == 302
    token = csrf_token(student, "/weeks/1")
    student.post("/weeks/1/scale/answer", data={"answer": "1", "csrf_token": token})
    admin = app.test_client()
    admin_token = login_as(admin, cast.instructor)
    admin.post(f"/admin/users/{cast.student.id}/active", data={"csrf_token": admin_token, "active": "0"})
    assert student.get("/weeks").status_code == 302  # the open session ended
    assert AuthActions(app.test_client()).login(cast.student.email).status_code == 200
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.user_id == cast.student.id)) == 1
        )
    assert "deactivated" in admin.get("/admin/users?q=alice").get_data(as_text=True)
    admin.post(f"/admin/users/{cast.student.id}/active", data={"csrf_token": admin_token, "active": "1"})
    assert AuthActions(app.test_client()).login(cast.student.email).status_code == 302


def test_changing_a_password_ends_the_other_sessions(app: Flask, cast: Cast) -> None:
    laptop, phone = app.test_client(), app.test_client()
    assert AuthActions(laptop).login(cast.student.email).status_code == 302
    assert AuthActions(phone).login(cast.student.email).status_code == 302
    def change(current: str, new: str):
        data = {
            "csrf_token": csrf_token(laptop, "/account/password"),
            "current": current,
            "password": new,
            "confirm": new,
        }
        return laptop.post("/account/password", data=data)

    assert "current password is not right" in change("not it at all", NEW_PASSWORD).get_data(as_text=True)
    assert "must not contain your email" in change(PASSWORD, "alice@uni.example").get_data(as_text=True)
    changed = change(PASSWORD, NEW_PASSWORD)
    assert changed.status_code == 302
    assert laptop.get("/weeks").status_code == 200  # this session goes on
    assert phone.get("/weeks").status_code == 302  # the other one ended
    assert AuthActions(app.test_client()).login(cast.student.email, NEW_PASSWORD).status_code == 302


def test_users_list_searches_by_email_and_name(app: Flask, cast: Cast) -> None:
    client = app.test_client()
    login_as(client, cast.instructor)
    page = client.get("/admin/users?q=bob").get_data(as_text=True)
    assert "bob@uni.example" in page and "alice@uni.example" not in page
    # % is a character, not a wildcard
    assert "No accounts found" in client.get("/admin/users?q=%25").get_data(as_text=True)
    assert client.get("/admin/users?page=abc").status_code == 200
