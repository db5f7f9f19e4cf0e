"""bench/floor.py, which `bench/load.py --floor` serves: the page and the answer stop before the quiz's work, at the
same URLs, behind the same log-in, and store nothing."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from bench.floor import floored
from quizserver.extensions import db
from quizserver.models import Attempt, QuestionState
from tests.csrf import csrf_in

JSON = {"Accept": "application/json"}


def test_the_floor_page_carries_the_csrf_token_and_no_question(app, client, student) -> None:
    floored(app)
    page = client.get("/weeks/1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert csrf_in(html, "the floor page") and "question" not in html


def test_the_floor_answer_replies_as_json_and_stores_nothing(app, client, student) -> None:
    floored(app)
    token = csrf_in(client.get("/weeks/1").get_data(as_text=True), "the floor page")
    reply = client.post("/weeks/1/scale/answer", data={"csrf_token": token, "answer": "1"}, headers=JSON)
    assert reply.status_code == 200 and reply.get_json()["status"] == "invalid"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0
        assert db.session.scalar(select(func.count()).select_from(QuestionState)) == 0


def test_the_floor_keeps_the_log_in(app, client) -> None:
    floored(app)
    assert client.get("/weeks/1").status_code == 302  # not signed in: to the log-in page, as before


def test_the_floor_answers_404_for_a_week_without_a_bank(app, client, student) -> None:
    floored(app)
    assert client.get("/weeks/99").status_code == 404


def test_an_app_without_the_endpoints_is_refused() -> None:
    with pytest.raises(RuntimeError, match="quiz.week"):
        floored(Flask("bare"))
