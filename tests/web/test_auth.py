from __future__ import annotations

import pytest
from sqlalchemy import select

from quizserver.extensions import db
from quizserver.models import User
from tests.conftest import ENROLLMENT_KEY, PASSWORD, csrf_token


def signup(client, **fields):
    data = {
        "email": "ada@uni.example",
        "name": "Ada",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "enrollment_key": ENROLLMENT_KEY,
        "csrf_token": csrf_token(client, "/signup"),
    }
    follow = fields.pop("follow_redirects", False)
    data.update(fields)
    return client.post("/signup", data=data, follow_redirects=follow)


def test_signup_with_the_key_creates_a_student_who_then_logs_in(app, client, auth):
    response = signup(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ada@uni.example"))
        assert user is not None and user.role == "student" and user.password_hash != PASSWORD
    assert auth.login("ada@uni.example").status_code == 302
    assert client.get("/weeks").status_code == 200


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"enrollment_key": "wrong"}, "not the course&#39;s enrollment key"),
        ({"enrollment_key": ""}, "not the course&#39;s enrollment key"),
        ({"password": "short", "confirm": "short"}, "at least 10"),
        ({"confirm": "something else entirely"}, "The passwords differ"),
        ({"email": "not-an-email"}, "Invalid email"),
        ({"password": "ada@uni.example", "confirm": "ada@uni.example"}, "must not contain your email"),
    ],
)
def test_signup_refuses_bad_input_with_a_message(app, client, fields, message):
    response = signup(client, **fields)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_signup_without_a_configured_key_needs_none(make_app):
    app = make_app(ENROLLMENT_KEY="")
    client = app.test_client()
    page = client.get("/signup").get_data(as_text=True)
    assert "Enrollment key" not in page
    assert signup(client, enrollment_key="").status_code == 302


def test_signup_can_be_closed(make_app):
    client = make_app(SIGNUP_OPEN=False).test_client()
    assert client.get("/signup").status_code == 404


def test_a_duplicate_email_makes_no_second_account_and_does_not_say_so(app, client, make_user):
    make_user("student", email="ada@uni.example")
    response = signup(client, follow_redirects=True)
    assert response.status_code == 200 and "already exists" not in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(User).where(User.email == "ada@uni.example")).all()) == 1


def test_login_and_logout(client, make_user, auth):
    user = make_user("student")
    assert auth.login(user.email, "wrong password here").status_code == 200
    assert client.get("/weeks").status_code == 302
    response = auth.login(user.email.upper())
    assert response.status_code == 302
    assert client.get("/weeks").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/weeks").status_code == 302


def test_login_redirects_only_to_local_paths(client, make_user):
    user = make_user("student")
    token = csrf_token(client)
    data = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/login?next=https://evil.example/x", data=data)
    assert response.headers["Location"] == "/weeks"


def test_anonymous_root_goes_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_production_refuses_to_start_without_a_secret(monkeypatch, tmp_path):
    from quizserver import create_app
    from quizserver.config import InsecureConfiguration

    monkeypatch.delenv("QUIZ_SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    with pytest.raises(InsecureConfiguration, match="QUIZ_SECRET_KEY"):
        create_app({"ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
