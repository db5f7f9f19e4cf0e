"""Per-student limits on answers, new numbers and reveals: refused in words, and a refused answer is never stored."""
from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from quizserver.banksync import sync_banks
from quizserver.config import from_environment
from quizserver.extensions import db
from quizserver.models import Attempt
from tests.conftest import FIXTURES
from tests.web.helpers import state_of

from .conftest import Cast, add_cast, login_as

pytestmark = pytest.mark.security

JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html"}
WINDOW = 30  # seconds: far longer than a test takes, so only the count decides
AGAIN_IN = re.compile(r"again in (\d+) seconds?")


def limited_app(make_app: Callable[..., Flask], **limits: str) -> tuple[Flask, Cast]:
    app = make_app(RATELIMIT_ENABLED=True, **limits)
    with app.app_context():
        assert sync_banks([FIXTURES / "banks"], variants=6).ok
        db.session.commit()
    return app, add_cast(app)


def signed_in(app: Flask, user) -> tuple[FlaskClient, str]:
    client = app.test_client()
    token = login_as(client, user)
    assert client.get("/weeks/1").status_code == 200
    return client, token


def send_answer(client: FlaskClient, token: str, headers: dict[str, str], raw: str = "[1, 2"):
    return client.post("/weeks/1/scale/answer", data={"answer": raw, "csrf_token": token}, headers=headers)


def attempts(app: Flask, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Attempt.id)).where(Attempt.user_id == user_id)) or 0


def seconds_to_wait(text: str) -> int:
    match = AGAIN_IN.search(text)
    assert match, text
    return int(match.group(1))


def test_the_limits_are_generous_by_default_and_set_from_the_environment() -> None:
    defaults = from_environment({})
    assert defaults["ANSWER_LIMIT"] == "60 per minute"
    assert defaults["NEW_NUMBERS_LIMIT"] == "30 per minute" and defaults["REVEAL_LIMIT"] == "30 per minute"
    assert from_environment({"QUIZ_ANSWER_LIMIT": "5 per second"})["ANSWER_LIMIT"] == "5 per second"


def test_an_answer_past_the_limit_is_refused_in_json_and_not_recorded(make_app) -> None:
    app, cast = limited_app(make_app, ANSWER_LIMIT=f"3 per {WINDOW} seconds")
    client, token = signed_in(app, cast.student)
    for _ in range(3):
        assert send_answer(client, token, JSON).get_json()["status"] == "invalid"
    refused = send_answer(client, token, JSON)
    assert refused.status_code == 429 and refused.is_json
    error = refused.get_json()["error"]
    assert "not recorded" in error and 1 <= seconds_to_wait(error) <= WINDOW
    assert 1 <= int(refused.headers["Retry-After"]) <= WINDOW
    assert attempts(app, cast.student.id) == 3
    assert state_of(app, cast.student.id, 1, "scale").attempts == 0


def test_a_plain_form_past_the_limit_gets_a_page_in_words(make_app) -> None:
    app, cast = limited_app(make_app, ANSWER_LIMIT=f"1 per {WINDOW} seconds")
    client, token = signed_in(app, cast.student)
    assert send_answer(client, token, HTML).status_code == 302
    refused = send_answer(client, token, HTML, raw="42")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert "not recorded" in page and 1 <= seconds_to_wait(page) <= WINDOW
    assert "per " not in page  # words, not Flask-Limiter's "1 per 30 second"
    assert 'href="/weeks/1#q-scale"' in page
    assert attempts(app, cast.student.id) == 1


def test_the_limit_is_per_student_not_per_address(make_app) -> None:
    """A lecture hall shares one address: one student at the limit holds nobody else up."""
    app, cast = limited_app(make_app, ANSWER_LIMIT=f"2 per {WINDOW} seconds")
    alice, alice_token = signed_in(app, cast.student)
    bob, bob_token = signed_in(app, cast.other)
    for _ in range(2):
        send_answer(alice, alice_token, JSON)
    assert send_answer(alice, alice_token, JSON).status_code == 429
    for _ in range(2):
        assert send_answer(bob, bob_token, JSON).status_code == 200
    assert attempts(app, cast.student.id) == 2 and attempts(app, cast.other.id) == 2


def test_a_refused_answer_goes_through_once_the_wait_is_over(make_app) -> None:
    app, cast = limited_app(make_app, ANSWER_LIMIT="1 per 2 seconds")
    client, token = signed_in(app, cast.student)
    assert send_answer(client, token, JSON).status_code == 200
    refused = send_answer(client, token, JSON, raw="42")
    assert refused.status_code == 429
    time.sleep(seconds_to_wait(refused.get_json()["error"]) + 0.3)
    assert send_answer(client, token, JSON, raw="42").get_json()["status"] in ("correct", "incorrect")
    assert attempts(app, cast.student.id) == 2


@pytest.mark.parametrize(
    ("action", "setting", "says"),
    [("new", "NEW_NUMBERS_LIMIT", "No new numbers were drawn"), ("reveal", "REVEAL_LIMIT", "not revealed")],
)
def test_new_numbers_and_reveals_are_limited_too(make_app, action: str, setting: str, says: str) -> None:
    app, cast = limited_app(make_app, **{setting: f"2 per {WINDOW} seconds"})
    client, token = signed_in(app, cast.student)
    for question_id in ("scale", "outer"):
        sent = client.post(f"/weeks/1/{question_id}/{action}", data={"csrf_token": token}, headers=JSON)
        assert sent.status_code == 200
    refused = client.post(f"/weeks/1/count/{action}", data={"csrf_token": token}, headers=JSON)
    assert refused.status_code == 429 and says in refused.get_json()["error"]
    assert 1 <= seconds_to_wait(refused.get_json()["error"]) <= WINDOW
    assert state_of(app, cast.student.id, 1, "count").revealed_at is None
    page = client.post(f"/weeks/1/count/{action}", data={"csrf_token": token}, headers=HTML)
    assert page.status_code == 429 and says in page.get_data(as_text=True)
    # the answer limit is a separate count
    assert send_answer(client, token, JSON).status_code == 200

