"""The JSON replies quiz.js asks for, never a redirect: the re-rendered question and score header, or, for an answer
that changes nothing else, the form's actions and the feedback."""
from __future__ import annotations

import re

import pytest
from flask import Flask

from quizserver.quiz.routes import _wants_json
from tests.web.helpers import CSRF, choice_positions, key_of, state_of, typed

JSON = {"Accept": "application/json"}


def post_json(client, week: int, question_id: str, action: str, data: dict | None = None):
    page = client.get(f"/weeks/{week}").get_data(as_text=True)
    payload = {"csrf_token": CSRF.search(page).group(1), **(data or {})}
    return client.post(f"/weeks/{week}/{question_id}/{action}", data=payload, headers=JSON)


def test_a_right_answer_replies_with_the_whole_question_and_the_score(app, client, student):
    client.get("/weeks/1")
    response = post_json(client, 1, "scale", "answer", {"answer": typed(key_of(app, student.id, 1, "scale"))})
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert data["status"] == "correct" and data["question_id"] == "scale" and "answered_html" not in data
    fragment = data["question_html"]
    assert fragment.lstrip().startswith('<li class="question is-solved') and 'id="q-scale"' in fragment
    assert "Correct." in fragment and "Worked solution" in fragment and 'id="q-outer"' not in fragment
    assert "1.0 / 6" in data["score_html"] and 'id="week-progress"' in data["score_html"]
    assert data["progress"]["total"] == 6 and data["progress"]["solved"] == 1
    assert state_of(app, student.id, 1, "scale").attempts == 1


def answered_ids(data: dict) -> set[str]:
    """The ids of an in-place reply's elements: quiz.js puts each in place of the element with its id."""
    return set(re.findall(r'^\s*<div class="[^"]*" id="([^"]+)"', data["answered_html"], re.MULTILINE))


@pytest.mark.parametrize(
    ("question_id", "answer", "status", "attempts", "in_feedback"),
    [
        ("scale", "negated", "incorrect", "1 attempt", "The sign is flipped."),
        ("scale", "[1, 2", "invalid", "0 attempts", "This did not use up an attempt."),
        ("count", "wrong", "incorrect", "1 of 2 attempts left", "Not correct."),
    ],
)
def test_an_answer_that_changes_only_its_feedback_replies_with_the_actions_and_the_feedback(
    app, client, student, question_id, answer, status, attempts, in_feedback
):
    """A wrong answer with attempts left, or an unreadable one: the score, the solution and the tools stay."""
    client.get("/weeks/1")
    key = key_of(app, student.id, 1, question_id)
    raw = {"negated": typed(-key), "wrong": typed(key + 1)}.get(answer, answer)
    data = post_json(client, 1, question_id, "answer", {"answer": raw}).get_json()
    assert data["status"] == status and data["question_id"] == question_id
    assert "question_html" not in data and "score_html" not in data
    assert data["invalid"] is True  # the box is marked, as the page marks it after a wrong or unreadable answer
    assert answered_ids(data) == {f"q-{question_id}-actions", f"q-{question_id}-feedback"}
    html = data["answered_html"]
    assert in_feedback in html and attempts in html and 'name="token"' in html
    assert "Worked solution" not in html and "Show solution" not in html
    assert state_of(app, student.id, 1, question_id).attempts == (0 if status == "invalid" else 1)


def test_the_last_attempt_replies_with_the_whole_question(app, client, student):
    """Out of attempts, the question's tools change (the solution is free, new numbers open): all of it is sent."""
    client.get("/weeks/1")
    wrong = typed(key_of(app, student.id, 1, "count") + 1)
    assert "answered_html" in post_json(client, 1, "count", "answer", {"answer": wrong}).get_json()
    data = post_json(client, 1, "count", "answer", {"answer": wrong}).get_json()
    assert "answered_html" not in data and "New numbers to practise" in data["question_html"]
    assert "0 of 2 attempts left" in data["question_html"] and "score_html" in data


def test_a_practice_answer_carries_its_note_in_the_feedback(app, client, student):
    client.get("/weeks/1")
    post_json(client, 1, "relu", "reveal")
    response = post_json(client, 1, "relu", "answer", {"choice": choice_positions(client, 1, "relu", ["a"])})
    data = response.get_json()
    assert "practice" in data["note"] and data["note"] in data["answered_html"]
    assert data["invalid"] is False  # a choice question has no box to mark


def test_reveal_and_new_numbers_reply_with_json(app, client, student):
    client.get("/weeks/1")
    early = post_json(client, 1, "outer", "new").get_json()
    assert "once you have solved" in early["note"]
    before = state_of(app, student.id, 1, "outer").variant_id

    revealed = post_json(client, 1, "outer", "reveal").get_json()
    assert "Worked solution" in revealed["question_html"] and "Show solution" not in revealed["question_html"]

    renewed = post_json(client, 1, "outer", "new").get_json()
    assert renewed["note"] == ""
    assert state_of(app, student.id, 1, "outer").variant_id != before


def test_an_unreadable_form_gets_a_json_error_not_a_redirect(app, client, student):
    client.get("/weeks/1")
    response = post_json(client, 1, "scale", "answer", {"answer": "1" * 6000})
    assert response.status_code == 400 and "could not be read" in response.get_json()["error"]
    stale = client.post("/weeks/1/scale/answer", data={"answer": "1", "csrf_token": "stale"}, headers=JSON)
    assert stale.status_code == 400  # quiz.js then posts the form itself, and the error page says why
    assert state_of(app, student.id, 1, "scale").attempts == 0


def test_a_browser_form_post_still_redirects(app, client, student):
    client.get("/weeks/1")
    page = client.get("/weeks/1").get_data(as_text=True)
    headers = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    response = client.post(
        "/weeks/1/scale/answer", data={"answer": "1", "csrf_token": CSRF.search(page).group(1)}, headers=headers
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#q-scale")


def test_the_quiz_page_loads_its_script_font_and_matrix_preview_slot(app, client, student):
    page = client.get("/weeks/1").get_data(as_text=True)
    font = client.get("/static/fonts/DejaVuMathTeXGyre.woff2")
    assert font.status_code == 200 and font.data[:4] == b"wOF2"
    font.close()
    assert re.search(r'<script src="/static/quiz.js" defer></script>', page)
    assert 'aria-describedby="q-outer-preview q-outer-feedback"' in page
    assert 'id="q-outer-preview" hidden' in page and 'id="quiz-status" role="status"' in page


@pytest.mark.parametrize(
    ("accept", "wants_json"),
    [
        (None, False),
        ("*/*", False),
        ("text/html", False),
        ("text/*", False),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("application/json", True),
        ("application/*", True),
        ("text/html;q=0.5, application/json", True),
        ("application/json;q=0.5, text/html", False),
    ],
)
def test_json_is_sent_only_when_it_is_the_best_match(app: Flask, accept: str | None, wants_json: bool) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    with app.test_request_context("/", headers=headers):
        assert _wants_json() is wants_json
