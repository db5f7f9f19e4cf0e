"""Grading raw answers: statuses, scores, shapes, partial credit and the feedback students read."""
from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizserver.grading import (
    GRADERS,
    QUESTION_TYPES,
    AnswerSpec,
    ChoiceOption,
    Status,
    Tolerance,
    format_answer,
    grade,
    parse_array,
)

C, P, X, V = Status.CORRECT, Status.PARTIAL, Status.INCORRECT, Status.INVALID

NUMERIC = AnswerSpec("numeric")
EXACT_EIGHTH = Tolerance(rtol=0.125, atol=0.0)  # bound at key 8 is exactly 1.0 in binary
ABSOLUTE = Tolerance(rtol=0.0, atol=1e-6)


@pytest.mark.parametrize(
    ("spec", "key", "raw", "status", "mistake", "fragment"),
    [
        (NUMERIC, 3.14159, "3.14159", C, None, "correct."),
        (NUMERIC, 3.14159, "pi", C, None, "correct."),
        (NUMERIC, 3.14159, "3.12", C, None, "correct."),  # within 1% relative
        (NUMERIC, 0.125, "2^-3", C, None, "correct."),
        (NUMERIC, 0.125, "1/8", C, None, "correct."),
        (NUMERIC, -0.5, "\u22120.5", C, None, "correct."),
        # tolerance edges: exactly at atol + rtol*|key| is right, just outside is not
        (AnswerSpec("numeric", tolerance=EXACT_EIGHTH), 8, "9", C, None, "correct."),
        (AnswerSpec("numeric", tolerance=EXACT_EIGHTH), 8, "7", C, None, "correct."),
        (AnswerSpec("numeric", tolerance=EXACT_EIGHTH), 8, "9.000001", X, "rounding", "close"),
        (AnswerSpec("numeric", tolerance=EXACT_EIGHTH), -8, "-6.999999", X, "rounding", "close"),
        (AnswerSpec("numeric", tolerance=Tolerance(rtol=0.25, atol=0.5)), 2, "3", C, None, "correct."),
        (AnswerSpec("numeric", tolerance=Tolerance(rtol=0.25, atol=0.5)), 2, "3.001", X, "rounding", "close"),
        # key 0: only atol counts
        (AnswerSpec("numeric", tolerance=ABSOLUTE), 0, "0", C, None, "correct."),
        (AnswerSpec("numeric", tolerance=ABSOLUTE), 0, "5e-7", C, None, "correct."),
        (AnswerSpec("numeric", tolerance=ABSOLUTE), 0, "-1e-6", C, None, "correct."),
        (AnswerSpec("numeric", tolerance=ABSOLUTE), 0, "2e-6", X, "rounding", "(absolute 1e-06)"),
        (AnswerSpec("numeric"), 0, "0.01", X, None, "not correct."),
        (AnswerSpec("numeric", tolerance=Tolerance(rtol=0.0, atol=0.0)), 2, "2", C, None, "correct."),
        (AnswerSpec("numeric", tolerance=Tolerance(rtol=0.0, atol=0.0)), 2, "2.0000001", X, None, "not correct."),
        # recognised mistakes
        (NUMERIC, 3.14159, "-3.1416", X, "sign", "the sign is flipped"),
        (NUMERIC, -0.75, "3/4", X, "sign", "the sign is flipped"),
        (NUMERIC, 3.14159, "6.2832", X, "factor", "off by a constant factor of about 2."),
        (NUMERIC, 3.14159, "1.5708", X, "factor", "off by a constant factor of about 0.5."),
        (NUMERIC, 0.4, "4", X, "factor", "off by a constant factor of about 10."),
        (NUMERIC, 0.4, "40", X, "factor", "off by a constant factor of about 100."),
        (NUMERIC, 1.5, "-3", X, "factor", "off by a constant factor of about -2."),
        (NUMERIC, 3.14159, "3.2", X, "rounding", "close, but not within the tolerance (relative 1%): keep more digits"),
        (NUMERIC, 100, "95", X, "rounding", "(relative 1%)"),
        (AnswerSpec("numeric", tolerance=Tolerance(rtol=0.001)), 100, "100.5", X, "rounding", "(relative 0.1%)"),
        (NUMERIC, 3.14159, "3.6", X, None, "not correct."),
        (NUMERIC, 3.14159, "7", X, None, "not correct."),
        (NUMERIC, 0, "-1", X, None, "not correct."),  # no sign flip to report on a zero key
        # unreadable answers do not count as attempts
        (NUMERIC, 1.0, "", V, None, "empty"),
        (NUMERIC, 1.0, "x + 1", V, None, "unknown name 'x'"),
        (NUMERIC, 1.0, "[1, 2]", V, None, "single number"),
        (NUMERIC, 1.0, "1,0", V, None, "decimal point"),
        (AnswerSpec("numeric", expressions=False), 0.5, "1/2", C, None, "correct."),
        (AnswerSpec("numeric", expressions=False), 0.5, "2^-1", V, None, "expressions are switched off"),
    ],
)
def test_numeric(spec: AnswerSpec, key: Any, raw: str, status: Status, mistake: str | None, fragment: str) -> None:
    result = grade(spec, key, raw)
    assert result.status is status
    assert result.mistake == mistake
    assert fragment in result.message.lower()
    assert result.score == (1.0 if status is C else 0.0)
    assert result.counts_as_attempt is (status is not V)
    if status is V:
        assert result.value is None
    else:
        assert isinstance(result.value, float)


INTEGER = AnswerSpec("integer")


@pytest.mark.parametrize(
    ("key", "raw", "status", "mistake", "fragment", "value"),
    [
        (6, "6", C, None, "correct.", 6),
        (6, "6.0", C, None, "correct.", 6),
        (6, "12/2", C, None, "correct.", 6),
        (2, "sqrt(2)^2", C, None, "correct.", 2),  # float noise is still a whole number
        (1000, "1e3", C, None, "correct.", 1000),
        (6.0, "6", C, None, "correct.", 6),
        (np.int64(-3), "\u22123", C, None, "correct.", -3),
        (6, "7", X, None, "not correct.", 7),
        (6, "-6", X, "sign", "the sign is flipped", -6),
        (6, "12", X, "factor", "factor of about 2.", 12),
        (6, "3", X, "factor", "factor of about 0.5.", 3),
        (6, "6.5", V, None, "expected a whole number", None),
        (6, "6.01", V, None, "expected a whole number", None),
        (6, "", V, None, "empty", None),
        (6, "six", V, None, "unknown name 'six'", None),
    ],
)
def test_integer(key: Any, raw: str, status: Status, mistake: str | None, fragment: str, value: Any) -> None:
    result = grade(INTEGER, key, raw)
    assert (result.status, result.mistake, result.value) == (status, mistake, value)
    assert fragment in result.message.lower()


SQUARE = [[1, 2], [3, 4]]
MATRIX = AnswerSpec("matrix")
PARTIAL = AnswerSpec("matrix", partial=True)


@pytest.mark.parametrize(
    ("spec", "key", "raw", "status", "score", "mistake", "fragment"),
    [
        (MATRIX, SQUARE, "[[1, 2], [3, 4]]", C, 1.0, None, "correct."),
        (MATRIX, SQUARE, "[1 2; 3 4]", C, 1.0, None, "correct."),
        (MATRIX, SQUARE, "[1.005, 2; 3, 4.03]", C, 1.0, None, "correct."),
        (MATRIX, np.array(SQUARE, dtype=float), "[1, 2; 3, 4]", C, 1.0, None, "correct."),
        # vectors: a 1-D key accepts (n,), (n, 1) and (1, n)
        (MATRIX, [1, 2, 3], "[1, 2, 3]", C, 1.0, None, "correct."),
        (MATRIX, [1, 2, 3], "[1 2 3]", C, 1.0, None, "correct."),
        (MATRIX, [1, 2, 3], "[1; 2; 3]", C, 1.0, None, "correct."),
        (MATRIX, [1, 2, 3], "[[1, 2, 3]]", C, 1.0, None, "correct."),
        (MATRIX, [1, 2, 3], "[[1], [2], [3]]", C, 1.0, None, "correct."),
        (MATRIX, [7], "7", C, 1.0, None, "correct."),
        # a scalar key accepts (), (1,), (1, 1); a 0-d answer counts as 1x1
        (MATRIX, 5, "5", C, 1.0, None, "correct."),
        (MATRIX, 5, "[5]", C, 1.0, None, "correct."),
        (MATRIX, 5, "[[5]]", C, 1.0, None, "correct."),
        (MATRIX, [[5]], "5", C, 1.0, None, "correct."),
        (MATRIX, [[1, 2, 3]], "[1, 2, 3]", C, 1.0, None, "correct."),  # a typed vector is a row
        # the shape rule: another arrangement of as many entries is wrong, with its diagnosis; a different
        # number of entries is invalid (no attempt used), whatever the type of question says about partial credit
        (MATRIX, [[1, 2, 3], [4, 5, 6]], "[[1, 4], [2, 5], [3, 6]]", X, 0.0, "transposed",
         "expected 2x3, got 3x2. it equals the expected answer transposed"),
        (MATRIX, [[1, 2, 3], [4, 5, 6]], "[1 2; 3 4; 5 6]", X, 0.0, "shape", "expected 2x3, got 3x2."),
        (MATRIX, [[1], [2], [3]], "[1, 2, 3]", X, 0.0, "transposed", "expected 3x1, got a vector of 3 entries"),
        (MATRIX, [[1], [2], [3]], "[1 2 3; 4 5 6]", V, 0.0, "shape", "expected 3x1, got 2x3."),
        (MATRIX, [1, 2, 3], "[1, 2]", V, 0.0, "shape", "expected a vector of 3 entries, got 2."),
        (MATRIX, [1, 2, 3], "[1; 2]", V, 0.0, "shape", "expected a vector of 3 entries, got 2."),
        (MATRIX, [1, 2, 3], "[1 2; 3 4]", V, 0.0, "shape", "expected a vector of 3 entries, got 2x2."),
        (MATRIX, [1, 2], "3", V, 0.0, "shape", "expected a vector of 2 entries, got a single number."),
        (MATRIX, 5, "[5, 6]", V, 0.0, "shape", "expected a single number, got a vector of 2 entries."),
        (MATRIX, SQUARE, "[1, 2, 3, 4]", X, 0.0, "shape", "expected 2x2, got a vector of 4 entries."),
        (PARTIAL, SQUARE, "[1 2 3]", V, 0.0, "shape", "expected 2x2"),
        # same shape, wrong entries, no partial credit
        (MATRIX, SQUARE, "[1 3; 2 4]", X, 0.0, "transposed", "not correct. it equals the expected answer transposed"),
        (MATRIX, [[1, 2], [2, 1]], "[1 2; 2 1.5]", X, 0.0, None, "not correct."),
        (MATRIX, SQUARE, "[-1 -2; -3 -4]", X, 0.0, "sign", "the sign is flipped"),
        (MATRIX, [[1, 0], [0, -2]], "[-1 0; 0 2]", X, 0.0, "sign", "the sign is flipped"),
        (MATRIX, SQUARE, "[2 4; 6 8]", X, 0.0, "factor", "off by a constant factor of about 2."),
        (MATRIX, [0.2, -0.4, 1], "[1, -2, 5]", X, 0.0, "factor", "off by a constant factor of about 5."),
        (MATRIX, [2, 4, 8], "[1, 2, 4]", X, 0.0, "factor", "off by a constant factor of about 0.5."),
        (MATRIX, [[0, 0], [0, 5]], "[0 0; 0 10]", X, 0.0, "factor", "factor of about 2."),
        (MATRIX, SQUARE, "[1.05 2; 3 4]", X, 0.0, "rounding", "close, but not within the tolerance (relative 1%)"),
        (MATRIX, SQUARE, "[1 2; 3 5]", X, 0.0, None, "not correct."),
        (MATRIX, [[0, 0], [0, 0]], "[0 0; 0 1]", X, 0.0, None, "not correct."),
        # partial credit: the fraction of entries within tolerance
        (PARTIAL, SQUARE, "[1 2; 3 5]", P, 0.75, None, "3 of 4 entries are right."),
        (PARTIAL, SQUARE, "[1 0; 0 0]", P, 0.25, None, "1 of 4 entries are right."),
        (PARTIAL, SQUARE, "[1 3; 2 4]", P, 0.5, "transposed", "2 of 4 entries are right. it equals the expected"),
        (PARTIAL, [1, 0, 2], "[-1, 0, -2]", P, 1 / 3, "sign", "1 of 3 entries are right. the sign is flipped"),
        (PARTIAL, [1, 2, 3], "[1; 2; 30]", P, 2 / 3, None, "2 of 3 entries are right."),
        (PARTIAL, SQUARE, "[9 9; 9 9]", X, 0.0, None, "0 of 4 entries are right."),
        (PARTIAL, SQUARE, "[2 4; 6 8]", X, 0.0, "factor", "0 of 4 entries are right. it is off by a constant factor"),
        (PARTIAL, SQUARE, "[1 2; 3 4]", C, 1.0, None, "correct."),
        # unreadable
        (MATRIX, SQUARE, "", V, 0.0, None, "empty"),
        (MATRIX, SQUARE, "[1 2; 3]", V, 0.0, None, "row 2 has 1 entry, row 1 has 2"),
        (MATRIX, SQUARE, "[1 2; 3 4", V, 0.0, None, "missing a closing ]"),
        (MATRIX, SQUARE, "1, 2, 3, 4", X, 0.0, "shape", "expected 2x2, got a vector of 4 entries."),
        (MATRIX, SQUARE, "1 2\n3 4", C, 1.0, None, "correct."),  # rows typed without brackets
        (MATRIX, SQUARE, "1, 2; 3, 4", C, 1.0, None, "correct."),
        (MATRIX, [[1, 2, 3], [4, 5, 6]], "[1 2; 3 4; 5 6]", X, 0.0, "shape", "expected 2x3, got 3x2."),
        (MATRIX, [[1, 2, 3], [4, 5, 6]], "[1 2 3 4 5 6]", X, 0.0, "shape", "expected 2x3, got a vector of 6"),
        (AnswerSpec("matrix", expressions=False), SQUARE, "[1 2; 3 2^2]", V, 0.0, None, "switched off"),
    ],
)
def test_matrix(
    spec: AnswerSpec, key: Any, raw: str, status: Status, score: float, mistake: str | None, fragment: str
) -> None:
    result = grade(spec, key, raw)
    assert result.status is status
    assert result.score == pytest.approx(score)
    assert result.mistake == mistake
    assert fragment in result.message.lower()
    if status is V:
        assert result.value is None
    else:
        assert result.value == parse_array(raw).tolist()  # as typed, before any reshaping
        json.dumps(result.value)


@pytest.mark.parametrize(
    ("spec", "key", "raw"),
    [
        (NUMERIC, 3.14159, "-3.14159"),
        (NUMERIC, 3.14159, "6.28318"),
        (NUMERIC, 3.14159, "3.2"),
        (NUMERIC, 3.14159, "100"),
        (MATRIX, [[1.5, 2.25], [3.75, 4.5]], "[3.75 4.5; 1.5 2.25]"),
        (MATRIX, [[1.5, 2.25], [3.75, 4.5]], "[1.5 3.75; 2.25 4.5]"),
        (MATRIX, [1.5, 2.25, 3.75], "[1.5, 2.25]"),
        (PARTIAL, [1.5, 2.25, 3.75], "[1.5, 2.25, 0]"),
    ],
)
def test_feedback_never_shows_the_key(spec: AnswerSpec, key: Any, raw: str) -> None:
    message = grade(spec, key, raw).message
    for entry in np.ravel(key):
        assert format_answer(float(entry)) not in message


CHOICES = (
    ChoiceOption("a", True),
    ChoiceOption("b", False, "ReLU is not bounded above."),
    ChoiceOption("c", True),
    ChoiceOption("d", False),
)
SINGLE = AnswerSpec("single_choice", choices=CHOICES)
MULTIPLE = AnswerSpec("multiple_choice", choices=CHOICES)
MULTIPLE_PARTIAL = AnswerSpec("multiple_choice", choices=CHOICES, partial=True)


@pytest.mark.parametrize(
    ("spec", "key", "raw", "status", "score", "fragment", "value"),
    [
        (SINGLE, ["a"], "a", C, 1.0, "correct.", ["a"]),
        (SINGLE, ["a"], " a ", C, 1.0, "correct.", ["a"]),
        (SINGLE, ["a"], "A", C, 1.0, "correct.", ["a"]),
        (SINGLE, ["a"], "b", X, 0.0, "relu is not bounded above.", ["b"]),
        (SINGLE, ["a"], "d", X, 0.0, "not correct.", ["d"]),
        (SINGLE, ["a"], "", V, 0.0, "no choice is selected", None),
        (SINGLE, ["a"], " , ", V, 0.0, "no choice is selected", None),
        (SINGLE, ["a"], "z", V, 0.0, "unknown choice 'z'", None),
        (SINGLE, ["a"], "a,c", V, 0.0, "only one choice", None),
        (MULTIPLE, ["a", "c"], "a,c", C, 1.0, "correct.", ["a", "c"]),
        (MULTIPLE, ["a", "c"], "c, a", C, 1.0, "correct.", ["a", "c"]),
        (MULTIPLE, ["a", "c"], "a,c,a", C, 1.0, "correct.", ["a", "c"]),
        (MULTIPLE, ["a", "c"], "a", X, 0.0, "a correct choice was not selected", ["a"]),
        (MULTIPLE, ["a", "c"], "a,b,c", X, 0.0, "relu is not bounded above.", ["a", "b", "c"]),
        (MULTIPLE, ["a", "c"], "", V, 0.0, "no choice is selected", None),
        (MULTIPLE, ["a", "c"], "a,z", V, 0.0, "unknown choice 'z'", None),
        (MULTIPLE_PARTIAL, ["a", "c"], "a", P, 0.5, "a correct choice was not selected", ["a"]),
        (MULTIPLE_PARTIAL, ["a", "c"], "a,b,c", P, 0.5, "relu is not bounded above.", ["a", "b", "c"]),
        (MULTIPLE_PARTIAL, ["a", "c"], "a,d", X, 0.0, "a selected choice is not correct", ["a", "d"]),
        (MULTIPLE_PARTIAL, ["a", "c"], "a,b,d", X, 0.0, "relu is not bounded above.", ["a", "b", "d"]),
        (MULTIPLE_PARTIAL, ["a", "c"], "b,d", X, 0.0, "a correct choice was not selected", ["b", "d"]),
        (MULTIPLE_PARTIAL, ["a", "c"], "a,c", C, 1.0, "correct.", ["a", "c"]),
        (MULTIPLE_PARTIAL, [], "a", X, 0.0, "a selected choice is not correct", ["a"]),
    ],
)
def test_choices(
    spec: AnswerSpec, key: list[str], raw: str, status: Status, score: float, fragment: str, value: Any
) -> None:
    result = grade(spec, key, raw)
    assert (result.status, result.value) == (status, value)
    assert result.score == pytest.approx(score)
    assert fragment in result.message.lower()


def test_wrong_multiple_choice_lists_every_wrong_pick_and_the_miss() -> None:
    choices = (ChoiceOption("a", True), ChoiceOption("b", False, "Not b."), ChoiceOption("c", False, "Not c."))
    result = grade(AnswerSpec("multiple_choice", choices=choices), ["a"], "b,c")
    assert result.message == "Not b. Not c. A correct choice was not selected."


@pytest.mark.parametrize(
    ("spec", "key", "match"),
    [
        (AnswerSpec("essay"), 1.0, "unknown question type"),
        (NUMERIC, float("nan"), "nan or inf"),
        (NUMERIC, [1.0, 2.0], "single number"),
        (NUMERIC, "abc", "not a number"),
        (AnswerSpec("numeric", tolerance=Tolerance(rtol=-0.1)), 1.0, "rtol"),
        (AnswerSpec("numeric", tolerance=Tolerance(atol=float("inf"))), 1.0, "atol"),
        (INTEGER, 2.5, "whole number"),
        (MATRIX, [[1, 2], [3]], "rectangular"),
        (MATRIX, np.zeros((2, 2, 2)), "got shape"),
        (MATRIX, [], "got shape"),
        (MATRIX, [1.0, float("inf")], "nan or inf"),
        (AnswerSpec("single_choice"), ["a"], "needs choices"),
        (SINGLE, ["z"], "unknown choices"),
        (MULTIPLE, "a", "list of choice ids"),
    ],
)
def test_author_errors_raise(spec: AnswerSpec, key: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        grade(spec, key, "1")


def test_registry_covers_every_question_type() -> None:
    assert set(GRADERS) == set(QUESTION_TYPES)


SPECS_AND_KEYS = [
    (NUMERIC, 3.14159),
    (AnswerSpec("numeric", expressions=False), -2.5),
    (AnswerSpec("numeric", tolerance=ABSOLUTE), 0.0),
    (INTEGER, 42),
    (MATRIX, SQUARE),
    (PARTIAL, [1.0, 0.0, -2.0]),
    (AnswerSpec("matrix", expressions=False), 5.0),
    (SINGLE, ["a"]),
    (MULTIPLE, ["a", "c"]),
    (MULTIPLE_PARTIAL, ["a", "c"]),
]

_answer_like = st.text(alphabet="0123456789.eE+-*/^()[];, \nabcdpisqrtxz\u2212", max_size=60)


@pytest.mark.parametrize(("spec", "key"), SPECS_AND_KEYS)
@settings(max_examples=150)
@given(raw=st.one_of(st.text(max_size=300), _answer_like))
def test_any_text_gets_a_grade_never_an_exception(spec: AnswerSpec, key: Any, raw: str) -> None:
    result = grade(spec, key, raw)
    assert result.status in set(Status)
    assert 0.0 <= result.score <= 1.0
    assert result.message
    assert (result.value is None) is (result.status is V)
    json.dumps(result.value)
