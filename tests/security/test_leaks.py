"""Nothing a student may not see yet reaches them: keys, explanations, other students' numbers, bank source."""
from __future__ import annotations

import html
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from quizserver.bank import load_bank_file
from quizserver.extensions import db
from quizserver.grading import format_answer
from quizserver.models import QuestionState
from quizserver.quiz.presenters import shown_html
from tests.conftest import FIXTURES

from .conftest import Cast, crawl, login_as

pytestmark = pytest.mark.security

STARTS = ["/", "/weeks", "/weeks/1", "/weeks/2", "/progress", "/account/password", "/healthz"]
# Distinctive keys planted in the stored variants, so a leaked key cannot be mistaken for a question's numbers.
PLANTED = {
    "alice@uni.example": {"scale": 7391.0417, "count": 864213, "outer": [[1931, 2842, 3753], [4664, 5575, 6486]]},
    "bob@uni.example": {"scale": 5187.2963, "count": 907531, "outer": [[7301, 7412, 7523], [7634, 7745, 7856]]},
}
SOURCE_FRAGMENTS = ["answer = a * b + 0.5", "np.outer(u, v)", "solution: |", "randint: [2, 9]", "explanation: |"]
# a solution block's markup and headings; the answer help page's "Worked solutions" section is not one
STRUCTURE = ['class="solution"', "Worked solution<", "Worked solution to", 'class="key"']


def plant_keys(app: Flask, user_id: int, keys: dict[str, Any]) -> None:
    with app.app_context():
        for state in db.session.scalars(
            select(QuestionState).where(QuestionState.user_id == user_id, QuestionState.week == 1)
        ):
            if state.question_id in keys:
                state.variant.answer = keys[state.question_id]
                state.variant.names = {**state.variant.names, "answer": keys[state.question_id]}
        db.session.commit()


def key_needles(key: Any) -> list[str]:
    needles = [format_answer(key), json.dumps(key)]
    if isinstance(key, list):
        needles += [format_answer(row) for row in key] + [str(cell) for row in key for cell in row]
    else:
        needles.append(repr(key))
    return needles


def explanation_needles(app: Flask, user_id: int) -> list[str]:
    bank, _ = load_bank_file(FIXTURES / "banks" / "week01-test.yaml")
    assert bank is not None
    needles = ["SECRET-EXPLANATION-MARKER", "ReLU grows without bound", "Squared and absolute error are convex"]
    with app.app_context():
        for state in db.session.scalars(
            select(QuestionState).where(QuestionState.user_id == user_id, QuestionState.week == 1)
        ):
            question = bank.question(state.question_id)
            if question is not None and question.explanation:
                needles.append(shown_html(question, state.variant).explanation)
    return needles


def leaks(body: str, needles: list[str]) -> list[str]:
    texts = (body, html.unescape(body))
    return [needle for needle in needles if any(needle in text for text in texts)]


def prepared(app: Flask, cast: Cast) -> tuple[FlaskClient, str]:
    bob = app.test_client()
    login_as(bob, cast.other)
    bob.get("/weeks/1")
    client = app.test_client()
    token = login_as(client, cast.student)
    client.get("/weeks/1")
    for user in (cast.student, cast.other):
        plant_keys(app, user.id, PLANTED[user.email])
    return client, token


def test_no_page_a_student_reaches_shows_a_key_an_explanation_or_bank_source_before_solving(
    app: Flask, cast: Cast
) -> None:
    client, token = prepared(app, cast)
    # wrong answers on every question, through the plain form and the JSON endpoint
    replies = []
    for qid, wrong in (
        ("scale", "1"),
        ("outer", "[[1, 1, 1], [1, 1, 1]]"),
        ("count", "1"),
        ("relu", "b"),
        ("convex", "c"),
    ):
        field = "choice" if qid in ("relu", "convex") else "answer"
        data = {field: wrong, "csrf_token": token}
        replies.append(client.post(f"/weeks/1/{qid}/answer", data=data, follow_redirects=True))
        replies.append(client.post(f"/weeks/1/{qid}/answer", data=data, headers={"Accept": "application/json"}))
        replies.append(client.post(f"/weeks/1/{qid}/new", data=data, headers={"Accept": "application/json"}))
    own = [n for key in PLANTED["alice@uni.example"].values() for n in key_needles(key)]
    others = [n for key in PLANTED["bob@uni.example"].values() for n in key_needles(key)] + ["bob@uni.example"]
    needles = own + others + explanation_needles(app, cast.student.id) + SOURCE_FRAGMENTS
    pages = list(crawl(client, STARTS))
    seen = {url for url, *_ in pages}
    assert {"/weeks/1", "/progress", "/static/style.css"} <= seen, seen
    found = []
    for url, status, _, body in pages:
        assert status < 500, url
        found += [f"{url}: {n}" for n in leaks(body, needles)]
        if not url.startswith("/weeks/2"):  # week 2 is closed: its own solutions may show
            found += [f"{url}: {n}" for n in leaks(body, STRUCTURE)]
    for reply in replies:
        assert reply.status_code == 200
        found += [f"reply: {n}" for n in leaks(reply.get_data(as_text=True), needles + STRUCTURE)]
        if reply.is_json:
            decoded = json.dumps(reply.get_json(), ensure_ascii=False)
            found += [f"json: {n}" for n in leaks(decoded, needles + STRUCTURE)]
    assert not found, found


def test_the_key_and_explanation_show_once_revealed(app: Flask, cast: Cast) -> None:
    """The control for the scan above: the same needles are found once the student may see them."""
    client, token = prepared(app, cast)
    client.post("/weeks/1/scale/reveal", data={"csrf_token": token})
    page = client.get("/weeks/1").get_data(as_text=True)
    assert format_answer(PLANTED["alice@uni.example"]["scale"]) in page
    assert "SECRET-EXPLANATION-MARKER" in page
    assert format_answer(PLANTED["alice@uni.example"]["count"]) not in page
    assert format_answer(PLANTED["bob@uni.example"]["scale"]) not in page


@pytest.mark.parametrize(
    "url",
    [
        "/static/../questions/week01-test.yaml",
        "/static/%2e%2e/tests/fixtures/banks/week01-test.yaml",
        "/static/..%2fquizserver%2fconfig.py",
        "/questions/week01-test.yaml",
        "/instructor/preview/1/scale",
        "/instructor/banks",
    ],
)
def test_no_route_serves_bank_source_or_code_to_a_student(app: Flask, cast: Cast, url: str) -> None:
    client = app.test_client()
    login_as(client, cast.student)
    response = client.get(url)
    body = response.get_data(as_text=True)
    response.close()
    assert response.status_code in (403, 404)
    assert not leaks(body, SOURCE_FRAGMENTS + ["SECRET-EXPLANATION-MARKER", "QUIZ_"])


def test_an_upcoming_week_is_closed_to_students_on_the_server(make_app, tmp_path) -> None:
    source = (FIXTURES / "closed" / "week02-closed.yaml").read_text()
    upcoming = (
        source.replace("week: 2", "week: 3").replace("2020-01-01", "2999-01-01").replace("2020-01-08", "2999-01-08")
    )
    (tmp_path / "week03-upcoming.yaml").write_text(upcoming)
    app = make_app()
    from quizserver.banksync import sync_banks

    with app.app_context():
        assert sync_banks([tmp_path / "week03-upcoming.yaml"], variants=1).ok
        db.session.commit()
    from .conftest import add_cast

    cast = add_cast(app)
    client = app.test_client()
    token = login_as(client, cast.student)
    assert client.get("/weeks/3").status_code == 404
    for action in ("answer", "reveal", "new"):
        assert client.post(f"/weeks/3/double/{action}", data={"answer": "2", "csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(QuestionState)) is None
    staff = app.test_client()
    login_as(staff, cast.staff)
    assert staff.get("/weeks/3").status_code == 200
