"""Decimal commas in the German interface: one number is read, brackets and expressions keep the point."""
from __future__ import annotations

import pytest

from quizserver.grading import AnswerSpec, Status, grade
from quizserver.grading.locale_numbers import comma_hint_applies, normalize_decimal_comma, writes_decimal_comma


@pytest.mark.parametrize(
    ("raw", "language", "expected"),
    [
        ("0,5", "de", "0.5"),
        ("-1,25", "de", "-1.25"),
        ("+2,5", "de", "+2.5"),
        ("1,5e-3", "de", "1.5e-3"),
        ("1,5E+3", "de", "1.5E+3"),
        (",5", "de", "0.5"),
        ("  0,5 ", "de", "0.5"),
        ("0,5", "de-AT", "0.5"),
        ("0,5", "de_CH", "0.5"),
        ("0.5", "de", "0.5"),  # a point is always a point
        ("[0,5, 1]", "de", "[0,5, 1]"),  # inside brackets a comma separates entries
        ("[0,5]", "de", "[0,5]"),
        ("1,5*2", "de", "1,5*2"),  # an expression, not a single number
        ("1,000,5", "de", "1,000,5"),  # two commas: not one decimal
        ("1.000,5", "de", "1.000,5"),  # a thousands point is not guessed at
        ("0,", "de", "0,"),
        ("0,5", "en", "0,5"),  # 1,000 is a thousand to an English reader
        ("0,5", None, "0,5"),
        ("0,5", "", "0,5"),
    ],
)
def test_normalize_decimal_comma(raw: str, language: str | None, expected: str) -> None:
    assert normalize_decimal_comma(raw, language) == expected


@pytest.mark.parametrize(
    ("raw", "language", "applies"),
    [
        ("[0,5, 1]", "de", True),
        ("[0,5; 1,5]", "de", True),
        ("1,5*2", "de", True),
        ("[1,2,3]", "de", True),  # 1,2 may have meant a decimal: say how commas are read
        ("[1, 2, 3]", "de", False),  # spaced commas are plainly separators
        ("0,5", "de", False),  # read as a decimal: nothing to explain
        ("[0.5, 1]", "de", False),
        ("[0.5,1]", "de", False),
        ("[0,5, 1]", "en", False),
    ],
)
def test_comma_hint_applies(raw: str, language: str, applies: bool) -> None:
    assert comma_hint_applies(raw, language) is applies


@pytest.mark.parametrize(("language", "writes"), [("de", True), ("DE", True), ("de-DE", True), ("en", False),
                                                   ("hr", False), (None, False)])
def test_writes_decimal_comma(language: str | None, writes: bool) -> None:
    assert writes_decimal_comma(language) is writes


@pytest.mark.parametrize(
    ("raw", "status"),
    [("0,5", Status.CORRECT), ("0,50", Status.CORRECT), ("-0,5", Status.INCORRECT), ("0,5e0", Status.CORRECT)],
)
def test_a_normalized_comma_answer_grades_like_its_point(raw: str, status: Status) -> None:
    result = grade(AnswerSpec("numeric"), 0.5, normalize_decimal_comma(raw, "de"))
    assert result.status is status


def test_inside_a_vector_the_comma_still_separates_entries() -> None:
    result = grade(AnswerSpec("matrix"), [0.5, 1.0], normalize_decimal_comma("[0,5, 1]", "de"))
    assert result.status is not Status.CORRECT and "3" in result.message
