"""Log-out ends the session on the server: a cookie copied before it stops working, on every page and on
the answer's post; the person's other devices stay logged in unless they log out everywhere."""
from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quizserver.models import User
from tests.conftest import PASSWORD, AuthActions, csrf_token
from tests.web.helpers import attempts_of

pytestmark = pytest.mark.security


def logged_in(app: Flask, user: User, remember: bool = False) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client, "/login")
    data = {"email": user.email, "password": PASSWORD, "csrf_token": token} | ({"remember": "y"} if remember else {})
    assert client.post("/login", data=data).status_code == 302
    return client


def copy_of(app: Flask, client: FlaskClient, *names: str) -> FlaskClient:
    """Another browser holding the same cookies, as someone who copied them would."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        thief.set_cookie(name, cookie.value)
    return thief


def answer(client: FlaskClient, csrf: str) -> int:
    return client.post("/weeks/1/scale/answer", data={"csrf_token": csrf, "answer": "12345"}).status_code


def test_a_session_cookie_copied_before_log_out_stops_working(app: Flask, make_user) -> None:
    user = make_user("student")
    owner = logged_in(app, user)
    thief = copy_of(app, owner, "session")
    csrf = csrf_token(thief, "/weeks/1")  # works while the owner is logged in
    AuthActions(owner).logout()
    assert "/login" in thief.get("/weeks").headers.get("Location", "")
    assert "/login" in thief.get("/account/password").headers.get("Location", "")
    # The answer's post reads the account on its own fast path: the check holds there too.
    assert answer(thief, csrf) == 302 and attempts_of(app, user.id, "scale") == []


def test_a_remember_me_cookie_copied_before_log_out_stops_working(app: Flask, make_user) -> None:
    user = make_user("student")
    owner = logged_in(app, user, remember=True)
    thief = copy_of(app, owner, "remember_token")
    assert thief.get("/weeks").status_code == 200  # restored from the long-lived cookie alone
    thief = copy_of(app, owner, "remember_token")
    AuthActions(owner).logout()
    assert "/login" in thief.get("/weeks").headers.get("Location", "")


def test_log_out_keeps_the_other_devices_logged_in(app: Flask, make_user) -> None:
    user = make_user("student")
    laptop, phone = logged_in(app, user), logged_in(app, user)
    csrf = csrf_token(phone, "/weeks/1")
    AuthActions(laptop).logout()
    assert "/login" in laptop.get("/weeks").headers.get("Location", "")
    assert phone.get("/weeks").status_code == 200
    assert answer(phone, csrf) == 302 and len(attempts_of(app, user.id, "scale")) == 1


def test_log_out_everywhere_ends_every_session_of_that_person_only(app: Flask, make_user) -> None:
    user, other = make_user("student"), make_user("student")
    laptop, phone, neighbour = logged_in(app, user), logged_in(app, user), logged_in(app, other)
    page = laptop.get("/account/password").get_data(as_text=True)
    assert "Log out everywhere" in page
    response = laptop.post("/account/logout-everywhere", data={"csrf_token": csrf_token(laptop, "/account/password")})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    for client in (laptop, phone):
        assert "/login" in client.get("/weeks").headers.get("Location", "")
    assert neighbour.get("/weeks").status_code == 200
    assert logged_in(app, user).get("/weeks").status_code == 200  # and logging in again works
