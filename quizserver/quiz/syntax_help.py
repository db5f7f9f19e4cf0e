"""The answer-syntax help page: what can be typed into an answer box, with examples read by the grader itself."""
from __future__ import annotations

from dataclasses import dataclass

from flask import render_template

from quizserver.grading.format import format_answer
from quizserver.grading.locale_numbers import normalize_decimal_comma, writes_decimal_comma
from quizserver.grading.messages import N_
from quizserver.grading.parse import CONSTANTS, FUNCTIONS, AnswerError, parse_array, parse_number
from quizserver.i18n import current_language

from . import bp


@dataclass(frozen=True)
class Example:
    typed: str
    means: str
    reads_as: str  # what the grader makes of it (or its message): the page can never drift from the parser


def _reading(typed: str, box: str) -> str:
    if box == "number":  # as the answer view reads it: a German 0,5 is one half
        typed = normalize_decimal_comma(typed, current_language())
    try:
        return format_answer(parse_number(typed) if box == "number" else parse_array(typed))
    except AnswerError as error:
        return error.message


def _examples(rows: list[tuple[str, str]], box: str) -> list[Example]:
    """Each example as the grader reads it in a number box or a vector/matrix box."""
    return [Example(typed, means, _reading(typed, box)) for typed, means in rows]


NUMBERS = [
    ("0.25", N_("a decimal: use a point, not a comma")),
    ("-3", N_("a negative number (a minus pasted from slides, −3, works too)")),
    ("1e-3", N_("scientific notation: 1 × 10⁻³")),
    ("1/3", N_("a fraction")),
    ("2^-3", N_("a power; 2**-3 is the same")),
    ("exp(-1)", N_("a function: write its argument in brackets")),
    ("sqrt(2)/2", N_("arithmetic mixes freely")),
    ("2*pi", N_("multiplication always needs *")),
]
ARRAYS = [
    ("[1, 2, 3]", N_("a vector of 3 entries")),
    ("[1 2 3]", N_("the same: spaces separate entries")),
    ("1 2 3", N_("the same: outer brackets may be left out")),
    ("[1 -2]", N_("two entries: a sign sticks to its number")),
    ("[1 - 2, 3]", N_("with commas, an entry may contain spaces")),
    ("[[1, 2], [3, 4]]", N_("a 2×2 matrix, row by row")),
    ("[1 2; 3 4]", N_("the same: ; ends a row")),
    ("1 2\n3 4", N_("the same: a new line ends a row too")),
    ("1, 2; 3, 4", N_("the same")),
    ("[1; 2; 3]", N_("a column: 3×1")),
]
MISTAKES = [
    ("0,5", N_("a comma where a decimal point belongs (in a vector box, 0,5 is the two entries 0 and 5)")),
    ("2x", N_("a product without *")),
    ("hello world", N_("a word that is not a number")),
    ("(1+2", N_("a bracket not closed")),
]
# Where the interface reads a decimal comma (German), one number may have one; an expression still may not.
DECIMAL_COMMA_NUMBERS = [("0,5", N_("a single number with a decimal comma"))]
DECIMAL_COMMA_MISTAKES = [
    ("1,5*2", N_("a decimal comma inside an expression: write 1.5*2")),
    *[row for row in MISTAKES if row[0] != "0,5"],
]
ARRAY_MISTAKES = [
    ("[1 2; 3]", N_("rows of different lengths")),
    ("[1 - 2 3]", N_("spaces around an operator: is it 1 − 2 and 3, or 1, −2 and 3?")),
    ("[1 2, 3]", N_("commas and spaces mixed")),
]


@bp.get("/help/answers")
def answer_help() -> str:
    """Open to everyone: it is linked from every answer box, and from a page opened in a new tab."""
    comma = writes_decimal_comma(current_language())
    return render_template(
        "quiz/answer_help.html",
        numbers=_examples(NUMBERS + (DECIMAL_COMMA_NUMBERS if comma else []), "number"),
        arrays=_examples(ARRAYS, "array"),
        mistakes=(_examples(DECIMAL_COMMA_MISTAKES if comma else MISTAKES, "number")
                  + _examples(ARRAY_MISTAKES, "array")),
        decimal_comma=comma,
        functions=sorted(FUNCTIONS),
        constants=[name for name in CONSTANTS if name.isascii()],
    )
