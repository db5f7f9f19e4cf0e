"""Choice answers are places in the student's own shuffled order: the author's ids, or anything else, are refused."""
from __future__ import annotations

import html

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quizserver.catalog import served_bank
from quizserver.quiz.forms import MAX_CHOICE_LENGTH, STORED_CHOICE_LENGTH
from tests.web.helpers import attempts_of, choice_positions, state_of

from .conftest import Cast, login_as

pytestmark = pytest.mark.security

JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html"}

# What a student could send without reading: the author's ids (every shipped key is a, ab or abc), their
# capitals, and values that are not a place in the shown order.
FORGED = [
    ["a"], ["b"], ["c"], ["A"], ["a", "b"], ["a", "b", "c"], ["a,b"],
    ["0"], ["4"], ["99"], ["-1"], ["1.0"], [" 1"], ["1", "1"], ["\u00b2"], ["\uff11"], ["1", "x"], [""], [],
]  # fmt: skip


def choice_questions(app: Flask) -> list[str]:
    with app.app_context():
        served = served_bank(1)
        assert served is not None
        return [q.id for q in served.bank.questions if q.is_choice]


def post(client: FlaskClient, token: str, question_id: str, values: list[str], headers: dict[str, str]):
    return client.post(
        f"/weeks/1/{question_id}/answer", data={"choice": values, "csrf_token": token}, headers=headers
    )


@pytest.fixture
def student_client(app: Flask, cast: Cast) -> tuple[FlaskClient, str]:
    client = app.test_client()
    token = login_as(client, cast.student)
    assert client.get("/weeks/1").status_code == 200
    return client, token


def test_the_test_bank_has_both_kinds_of_choice_question(app: Flask) -> None:
    assert choice_questions(app) == ["relu", "convex"]


@pytest.mark.parametrize("headers", [JSON, HTML], ids=["json", "form"])
@pytest.mark.parametrize("values", FORGED, ids=repr)
def test_anything_but_a_shown_position_is_invalid_and_uses_no_attempt(
    app: Flask, cast: Cast, student_client: tuple[FlaskClient, str], values: list[str], headers: dict[str, str]
) -> None:
    client, token = student_client
    for question_id in choice_questions(app):
        response = post(client, token, question_id, values, headers)
        if headers is JSON:
            assert response.status_code == 200 and response.is_json
            data = response.get_json()
            assert data["status"] == "invalid", (question_id, values, data["message"])
            assert data["message"]
        else:
            assert response.status_code == 302
            assert "could not read your answer" in client.get("/weeks/1").get_data(as_text=True).lower()
        state = state_of(app, cast.student.id, 1, question_id)
        assert state.attempts == 0 and state.solved_at is None and state.credit == 0.0
        (stored,) = attempts_of(app, cast.student.id, question_id)
        assert stored.status == "invalid" and not stored.counted
        assert stored.raw_answer == ",".join(values)[:STORED_CHOICE_LENGTH]


@pytest.mark.parametrize(
    ("values", "says"),
    [
        (["a"], "'a' is not one of the 3 choices shown: choose"),
        (["4"], "'4' is not one of the 3 choices shown"),
        (["1", "1"], "was sent twice"),
        ([], "No choice is selected"),
    ],
)
def test_the_message_says_what_is_wrong(student_client: tuple[FlaskClient, str], values: list[str], says: str) -> None:
    client, token = student_client
    data = post(client, token, "convex", values, JSON).get_json()
    assert data["status"] == "invalid" and says in data["message"]
    assert says in html.unescape(data["answered_html"])


@pytest.mark.parametrize("headers", [JSON, HTML], ids=["json", "form"])
def test_the_right_positions_still_answer_correctly(
    app: Flask, cast: Cast, student_client: tuple[FlaskClient, str], headers: dict[str, str]
) -> None:
    client, token = student_client
    for question_id, right in (("relu", ["a"]), ("convex", ["a", "b"])):
        response = post(client, token, question_id, choice_positions(client, 1, question_id, right), headers)
        assert response.status_code == (200 if headers is JSON else 302)
        if headers is JSON:
            assert response.get_json()["status"] == "correct"
        state = state_of(app, cast.student.id, 1, question_id)
        assert state.attempts == 1 and state.credit == 1.0
        assert attempts_of(app, cast.student.id, question_id)[-1].raw_answer == ",".join(right)


def test_a_long_value_is_stored_truncated(app: Flask, cast: Cast, student_client: tuple[FlaskClient, str]) -> None:
    client, token = student_client
    values = ["a" * (MAX_CHOICE_LENGTH - 10)]
    assert post(client, token, "relu", values, JSON).get_json()["status"] == "invalid"
    (stored,) = attempts_of(app, cast.student.id, "relu")
    assert stored.raw_answer == values[0][:STORED_CHOICE_LENGTH] and len(stored.raw_answer) < len(values[0])


@pytest.mark.parametrize("values", [["1" * (MAX_CHOICE_LENGTH + 1)], ["1"] * MAX_CHOICE_LENGTH])
def test_the_choice_field_is_length_limited_like_the_answer(
    app: Flask, cast: Cast, student_client: tuple[FlaskClient, str], values: list[str]
) -> None:
    client, token = student_client
    response = post(client, token, "convex", values, JSON)
    assert response.status_code == 400 and "too long" in response.get_json()["error"]
    assert attempts_of(app, cast.student.id, "convex") == []
