"""The answer-syntax help page: open to all, every example read by the grader itself, linked from every box."""
from __future__ import annotations

import html
import re

from flask.testing import FlaskClient

from quizserver.grading.parse import CONSTANTS, FUNCTIONS
from quizserver.models import User
from quizserver.quiz.syntax_help import ARRAY_MISTAKES, ARRAYS, MISTAKES, NUMBERS


def test_the_help_page_is_open_without_logging_in(client: FlaskClient) -> None:
    response = client.get("/help/answers")
    assert response.status_code == 200
    assert "<h1>How to type answers</h1>" in response.get_data(as_text=True)


def test_every_example_shows_what_the_grader_makes_of_it(client: FlaskClient) -> None:
    page = html.unescape(client.get("/help/answers").get_data(as_text=True))
    for typed, _ in NUMBERS + ARRAYS + MISTAKES + ARRAY_MISTAKES:
        assert typed.replace("\n", " ⏎ ") in page, typed
    assert "[[1, 2], [3, 4]]" in page  # what `1 2` Enter `3 4` reads as
    assert "Unknown name 'hello'." in page
    assert "Enter a single number (use a decimal point, not a comma)." in page
    for name in FUNCTIONS:
        assert f"<code>{name}(…)</code>" in page, name
    for name in (n for n in CONSTANTS if n.isascii()):
        assert f"<code>{name}</code>" in page, name
    assert "not graded" in page and "graded as wrong" in page  # the shape rule, as the grader applies it


def test_every_answer_box_links_to_the_help(client: FlaskClient, student: User) -> None:
    page = client.get("/weeks/1").get_data(as_text=True)
    boxes = len(re.findall(r'name="answer"', page))
    links = re.findall(r'<p class="hint syntax-help"[^>]*><a href="(/help/answers#\w+)"', page)
    assert boxes >= 3 and len(links) == boxes
    assert {"/help/answers#numbers", "/help/answers#matrices"} <= set(links)
