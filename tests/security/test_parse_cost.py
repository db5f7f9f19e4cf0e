"""Reading an answer costs work in proportion to its length: no regular expression backtracks, entries are capped.

The cost is counted, not timed: regex steps (tests/security/regex_steps.py) plus the characters handed to
ast.parse. bench/parse.py prints the CPU time of the same inputs.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizserver.grading import AnswerError, AnswerSpec, Status, grade, parse_array, parse_number
from quizserver.grading.parse import MAX_ANSWER_LENGTH, MAX_ENTRY_LENGTH

from .regex_steps import BudgetExceeded, StepCounter, counted_patterns

pytestmark = pytest.mark.security

parse_module = importlib.import_module("quizserver.grading.parse")
GRADING_MODULES = [importlib.import_module(f"quizserver.grading.{name}") for name in ("parse", "grade", "format")]
PATTERN_FACTORIES = {parse_module: ["_splitting_characters"]}

# Generous for what a real parse costs per character (a few passes of splitting and checking), far below
# what one quadratic search over a few hundred characters costs.
STEPS_PER_CHARACTER = 40
OVERHEAD = 400
REPORTED = "9" * 4997 + "x 1"  # 5,000 characters: about 1 s of CPU per answer before the fix

Reader = Callable[[str], object]
READERS: dict[str, Reader] = {
    "number": lambda text: parse_number(text),
    "array": lambda text: parse_array(text),
    "plain number": lambda text: parse_number(text, expressions=False),
    "plain array": lambda text: parse_array(text, expressions=False),
}


def bound(text: str) -> int:
    return STEPS_PER_CHARACTER * len(text) + OVERHEAD


def cost(read: Reader, text: str) -> int:
    """The counted work of one read; BudgetExceeded as soon as it passes the linear bound."""
    counter = StepCounter(budget=bound(text))
    with counted_patterns(GRADING_MODULES, counter, PATTERN_FACTORIES):
        try:
            read(text)
        except AnswerError:
            pass
    assert counter.cost <= bound(text), (counter.cost, len(text))
    return counter.cost


@pytest.mark.parametrize("reader", READERS)
def test_the_reported_answer_costs_linear_work(reader: str) -> None:
    assert len(REPORTED) == MAX_ANSWER_LENGTH
    try:
        cost(READERS[reader], REPORTED)
    except BudgetExceeded as error:
        pytest.fail(f"{reader}: {error} for a {len(REPORTED)}-character answer")


@pytest.mark.parametrize(
    "spec", [AnswerSpec("numeric"), AnswerSpec("matrix"), AnswerSpec("numeric", expressions=False)], ids=repr
)
def test_the_reported_answer_is_invalid_with_a_message(spec: AnswerSpec) -> None:
    result = grade(spec, [[1.0]] if spec.type == "matrix" else 1.0, REPORTED)
    assert result.status is Status.INVALID and not result.counts_as_attempt
    assert f"over {MAX_ENTRY_LENGTH} characters" in result.message


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("1+" * MAX_ENTRY_LENGTH + "1", ""),
        ("[1, 2, " + "1" * (MAX_ENTRY_LENGTH + 1) + "]", ""),
        ("[1 2; 3 " + "2*" * MAX_ENTRY_LENGTH + "2]", "Row 2: "),
        ("[[1, 2], [3, (" + " " * MAX_ENTRY_LENGTH + "4)]]", "Row 2: "),
    ],
    ids=["expression", "vector entry", "matlab row", "nested row"],
)
def test_an_over_long_entry_is_invalid_and_names_the_limit(text: str, where: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_array(text)
    assert caught.value.message.startswith(where) and f"over {MAX_ENTRY_LENGTH} characters" in caught.value.message


def test_entries_up_to_the_limit_are_read() -> None:
    longest = "1+" * ((MAX_ENTRY_LENGTH - 1) // 2) + "1"
    assert len(longest) <= MAX_ENTRY_LENGTH
    assert parse_number(longest) == (MAX_ENTRY_LENGTH - 1) // 2 + 1
    matrix = "[" + "; ".join(" ".join([longest] * 2) for _ in range(4)) + "]"
    assert len(matrix) <= MAX_ANSWER_LENGTH
    assert np.array_equal(parse_array(matrix), np.full((4, 2), parse_number(longest)))


def test_a_whole_answer_over_the_limit_is_invalid_and_names_it() -> None:
    text = "[" + ", ".join(["1"] * (MAX_ANSWER_LENGTH // 3 + 1)) + "]"
    with pytest.raises(AnswerError, match=f"over {MAX_ANSWER_LENGTH} characters"):
        parse_array(text)


# Repeated units that make a backtracking search try many splits: digit runs, exponents, spaces, brackets.
FAMILIES = [
    ("", "9", "x 1"), ("", "9", "e"), ("", "1", "."), ("1", " ", "x"), ("1", " ", "!"), ("", "(", ""),
    ("", "1e", "+"), ("", ".", "5"), ("", "1.", ""), ("[", "1 ", "x]"), ("", "-", "1"), ("", "1/", ""),
    ("", "e1", ""), ("[[", "1,", "]]"), ("", "9", "/9x"), ("", " ", "1/ 1 x"), ("[", "1;", "]"), ("", "2", "pi"),
]  # fmt: skip
ALPHABET = "0123456789.eE+-*/^ ()[],;x\n\t\u2212\u03c0"
parts = st.text(alphabet=ALPHABET, max_size=8)
families = st.one_of(
    st.sampled_from(FAMILIES),
    st.tuples(parts, st.text(alphabet=ALPHABET, min_size=1, max_size=6), parts),
)


@settings(max_examples=60, deadline=None)
@given(family=families, reader=st.sampled_from(sorted(READERS)))
def test_parse_cost_grows_linearly_with_the_length(family: tuple[str, str, str], reader: str) -> None:
    prefix, unit, suffix = family
    repeats = max(1, (MAX_ANSWER_LENGTH // 4 - len(prefix) - len(suffix)) // len(unit))
    short = prefix + unit * (repeats // 4) + suffix
    long = prefix + unit * repeats + suffix
    read = READERS[reader]
    try:
        short_cost, long_cost = cost(read, short), cost(read, long)
    except BudgetExceeded as error:
        pytest.fail(f"{reader}: {error} for {prefix!r} + {unit!r} * n + {suffix!r}")
    # About four times the text, about four times the work: never the sixteen of a quadratic search.
    assert long_cost <= 4 * short_cost + 4 * OVERHEAD, (short_cost, long_cost)
