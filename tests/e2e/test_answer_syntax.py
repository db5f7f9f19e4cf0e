"""One reading of an answer: the shape preview (static/answer-shape.js, in Chromium) and the grader agree.

The same table of typed answers goes through grading.parse_array and through the browser's reader; both
must accept it with the same shape and values, or both refuse it. Then the shape rule: for each answer and
expected shape, the preview's verdict ("match", "arrangement", "size") is what grade() does with it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quizserver.grading import AnswerError, AnswerSpec, Status, grade, parse_array

pytestmark = [pytest.mark.e2e]

READER = Path(__file__).resolve().parents[2] / "quizserver" / "static" / "answer-shape.js"

# What students type: rows on new lines or after `;`, with and without brackets, expressions, and mistakes.
ANSWERS = [
    "5", "-0.25", "1/4", "2^-3", "2**-3", "exp(-1)", "sqrt(2)/2", "pi/4", "\u22121", "2\u00d73", "sigmoid(0)",
    "1 2", "1 2\n3 4", "1, 2; 3, 4", "1 2; 3 4", "1,2,3", "1 2 3", "1 -2", "1 - 2", "1; 2; 3", "1 2\n3 4\n",
    "[1, 2, 3]", "[1 2 3]", "[1; 2; 3]", "[1 2; 3 4]", "[1, 2; 3, 4]", "[1 2\n3 4]", "[[1, 2], [3, 4]]",
    "[[1 2] [3 4]]", "[1, 2], [3, 4]", "[1 2]\n[3 4]", "[[1, 2, 3]]", "[[1], [2]]", "[1 -2 +3]", "[1 2 3;]",
    "[sqrt(2 + 2) 1]", "[1 - 2, 3]", "[exp(0), 2^-1]", "sin (0) 2", "[sin (0), cos (0)]", "[[1e-3, .5], [5., -0]]",
    # unreadable
    "", "   ", "[1, 2", "[1 2; 3]", "1 2\n3", "[1 2, 3]", "[1 - 2 3]", "[[1, 2], 3]", "[1, [2, 3]]", "[[[1]]]",
    "[1,, 2]", "[1, 2,]", "[]", "[;]", "{1, 2}", "2*[1, 2]", "[1, 2] 3", "[[1, 2]; [3, 4]]", "[1 2; [3 4]]",
    "hello world", "1 hello", "2x", "2pi", "1/0", "sqrt(-1)", "log(0)", "nan", "inf", "9^9^9", "07", "sqrt(1, 2)",
    "pi(2)", "foo(1)", "exp", "1 +* 2", "(1", "1)", "[1 2 3]]", "2(3)", "(-8)^(1/3)", "[1e999]",
]


def python_reading(text: str, expressions: bool = True) -> dict[str, Any]:
    try:
        array = parse_array(text, expressions=expressions)
    except AnswerError as error:
        return {"error": error.message}
    return {"shape": list(array.shape), "values": array.reshape(-1).tolist()}


def browser_reading(page: Any, text: str, expressions: bool = True) -> dict[str, Any]:
    found = page.evaluate(
        "([t, e]) => { const r = window.QuizAnswerShape.read(t, {expressions: e});"
        " return r.error !== undefined ? {error: r.error} : {shape: r.shape, values: r.cells.flat()}; }",
        [text, expressions],
    )
    return found


@pytest.fixture
def reader(page: Any) -> Any:
    page.set_content("<!doctype html><title>reader</title>")
    page.add_script_tag(content=READER.read_text())
    return page


def test_the_preview_reads_every_answer_as_the_grader_does(reader: Any) -> None:
    disagreements = []
    for text in ANSWERS:
        server, browser = python_reading(text), browser_reading(reader, text)
        if ("error" in server) != ("error" in browser):
            disagreements.append((text, server, browser))
        elif "shape" in server and (
            server["shape"] != browser["shape"] or not np.allclose(server["values"], browser["values"])
        ):
            disagreements.append((text, server, browser))
    assert not disagreements, disagreements


PLAIN_ONLY = ["1 2; 3 4", "[1/2, -3e-1; 4, .5]", "[2^-3, 1]", "[exp(0) 1]", "[1 -2]", "[hello 1]", "[2pi, 1]",
              "[1, 2/0]", "0.25", "[1, 2]"]


def test_with_expressions_off_the_preview_refuses_what_the_grader_refuses(reader: Any) -> None:
    for text in PLAIN_ONLY:
        assert browser_reading(reader, text, False) == python_reading(text, False), text


@pytest.mark.parametrize(
    "text",
    ["[1 2; 3]", "1 2\n3", "[1 2, 3]", "[1 - 2 3]", "[1, [2, 3]]", "[[[1]]]", "[1,, 2]", "hello world", "2x",
     "1/0", "sqrt(-1)", "[1, 2", "{1, 2}", "2*[1, 2]", "[1, 2] 3", "[[1, 2]; [3, 4]]", "nan", "07", "exp"],
)
def test_the_preview_gives_the_graders_message(reader: Any, text: str) -> None:
    assert browser_reading(reader, text) == python_reading(text)


KEY_SHAPES = [(), (3,), (2, 2), (2, 3), (3, 1), (1, 3)]
TYPED = ["5", "[5]", "1 2 3", "[1; 2; 3]", "[[1, 2, 3]]", "1 2\n3 4", "[1 2; 3 4; 5 6]", "[1 2 3; 4 5 6]",
         "[1 2 3 4]", "[1 2 3 4 5 6]", "1, 2"]


def graders_verdict(key_shape: tuple[int, ...], text: str) -> str:
    key = np.arange(1, int(np.prod(key_shape)) + 1, dtype=float).reshape(key_shape) * 100  # never typed above
    result = grade(AnswerSpec("matrix"), key.tolist(), text)
    if result.mistake in ("shape", "transposed") and result.status is Status.INVALID:
        return "size"
    if result.mistake == "shape" or (result.mistake == "transposed" and "got" in result.message):
        return "arrangement"
    assert result.status is not Status.INVALID, (text, result.message)
    return "match"


def test_the_preview_applies_the_graders_shape_rule(reader: Any) -> None:
    disagreements = []
    for key_shape in KEY_SHAPES:
        for text in TYPED:
            shape = reader.evaluate("t => window.QuizAnswerShape.read(t).shape", text)
            said = reader.evaluate("([s, k]) => window.QuizAnswerShape.verdict(s, k)", [shape, list(key_shape)])
            expected = graders_verdict(key_shape, text)
            if said != expected:
                disagreements.append((key_shape, text, said, expected))
    assert not disagreements, disagreements
