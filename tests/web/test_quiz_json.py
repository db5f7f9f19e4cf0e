"""The JSON replies quiz.js asks for: the re-rendered question and score header, never a redirect."""
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


@pytest.mark.parametrize(
    ("answer", "status", "score", "in_fragment"),
    [
        ("right", "correct", "1.0 / 6", "Correct."),
        ("negated", "incorrect", "0.0 / 6", "The sign is flipped."),
        ("[1, 2", "invalid", "0.0 / 6", "This did not use up an attempt."),
    ],
)
def test_answer_replies_with_the_question_fragment_and_the_score(app, client, student, answer, status, score,
                                                                   in_fragment):
    client.get("/weeks/1")
    key = key_of(app, student.id, 1, "scale")
    raw = {"right": typed(key), "negated": typed(-key)}.get(answer, answer)
    response = post_json(client, 1, "scale", "answer", {"answer": raw})
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert data["status"] == status and data["question_id"] == "scale"
    fragment = data["question_html"]
    assert fragment.lstrip().startswith('<li class="question') and 'id="q-scale"' in fragment
    assert in_fragment in fragment and 'id="q-outer"' not in fragment
    assert score in data["score_html"] and 'id="week-progress"' in data["score_html"]
    assert data["progress"]["total"] == 6
    assert state_of(app, student.id, 1, "scale").attempts == (0 if status == "invalid" else 1)


def test_a_practice_answer_carries_its_note_in_the_fragment(app, client, student):
    client.get("/weeks/1")
    post_json(client, 1, "relu", "reveal")
    response = post_json(client, 1, "relu", "answer", {"choice": choice_positions(client, 1, "relu", ["a"])})
    data = response.get_json()
    assert "practice" in data["note"] and data["note"] in data["question_html"]


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
