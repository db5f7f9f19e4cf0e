"""Where each role lands, the 403 page, and an account without a name."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quizserver.models import User

from ..conftest import PASSWORD, AuthActions, csrf_token


@pytest.mark.parametrize(
    ("role", "landing"), [("student", "/weeks"), ("staff", "/staff/"), ("instructor", "/staff/")]
)
def test_each_role_lands_on_the_page_it_works_on(
    client: FlaskClient, make_user: Callable[..., User], auth: AuthActions, role: str, landing: str
) -> None:
    user = make_user(role)
    response = auth.login(user.email)
    assert response.status_code == 302 and response.headers["Location"] == landing
    assert client.get("/").headers["Location"] == landing
    assert client.get("/login").headers["Location"] == landing
    # a page the user was sent to log in for still wins
    auth.logout()
    token = csrf_token(client, "/login")
    response = client.post("/login?next=/account/password",
                           data={"email": user.email, "password": PASSWORD, "csrf_token": token})  # fmt: skip
    assert response.headers["Location"] == "/account/password"


def test_staff_header_has_no_student_score_links(
    client: FlaskClient, make_user: Callable[..., User], auth: AuthActions
) -> None:
    auth.login(make_user("staff").email)
    html = client.get("/staff/").get_data(as_text=True)
    assert 'href="/progress"' not in html and 'href="/staff/"' in html


def test_the_403_page_is_written_for_people(
    client: FlaskClient, make_user: Callable[..., User], auth: AuthActions
) -> None:
    auth.login(make_user("student", name="Stu Dent").email)
    response = client.get("/staff/")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "This page is not available to your account" in html
    assert "Stu Dent" in html and "student" in html and "course staff" in html
    assert "permission to access the requested resource" not in html  # Werkzeug's stock wording
    assert client.get("/instructor/banks").status_code == 403
    assert "the course's instructors" in client.get("/instructor/banks").get_data(as_text=True)


def test_users_create_without_a_name_shows_the_email_once(app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "lecturer@uni.example", "--role", "instructor", "--password", "correct horse battery"]
    )
    assert result.exit_code == 0, result.output
    assert "created instructor lecturer@uni.example" in result.output and "--name" in result.output
    auth.login("lecturer@uni.example")
    account = client.get("/account/password").get_data(as_text=True)
    main = account[account.index("<main"):]
    assert main.count("lecturer@uni.example") == 1
