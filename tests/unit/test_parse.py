"""Reading numbers, expressions and matrices as students type them."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizserver.grading import AnswerError, parse_array, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", 5.0),
        ("-12", -12.0),
        ("0.25", 0.25),
        (".5", 0.5),
        ("5.", 5.0),
        ("-.5", -0.5),
        ("1e-3", 1e-3),
        ("2.5E+4", 2.5e4),
        ("3e2", 300.0),
        ("+4", 4.0),
        ("  7  ", 7.0),
        ("\t8\n", 8.0),
        ("\u22123", -3.0),  # unicode minus
        ("\u20132.5", -2.5),  # en dash
        ("\u20141", -1.0),  # em dash
        ("\uff0d4", -4.0),  # full-width minus
        ("2\u00a0+\u00a01", 3.0),  # no-break spaces
        ("3/4", 0.75),
        ("-3/4", -0.75),
        ("1 / 8", 0.125),
        ("2^-3", 0.125),
        ("2**-3", 0.125),
        ("2^3^2", 512.0),  # right-associative, as in mathematics
        ("-2^2", -4.0),
        ("(-2)^2", 4.0),
        ("(1+2)*3", 9.0),
        ("1 - 2 + 3", 2.0),
        ("2*3/4", 1.5),
        ("exp(1)", math.e),
        ("exp(-1)", math.exp(-1)),
        ("log(e)", 1.0),
        ("ln(e^2)", 2.0),
        ("log10(1000)", 3.0),
        ("log2(8)", 3.0),
        ("sqrt(2)/2", math.sqrt(2) / 2),
        ("abs(-3)", 3.0),
        ("sin(pi/2)", 1.0),
        ("cos(0)", 1.0),
        ("tan(0)", 0.0),
        ("tanh(0)", 0.0),
        ("sigmoid(0)", 0.5),
        ("sigmoid(-1000)", 0.0),
        ("sigmoid(1000)", 1.0),
        ("pi", math.pi),
        ("\u03c0", math.pi),
        ("e", math.e),
        ("2*pi", 2 * math.pi),
        ("SQRT(4)", 2.0),
        ("1 - exp(-2)", 1 - math.exp(-2)),
        ("0^0", 1.0),
        ("2\u00d73", 6.0),  # multiplication sign
        ("6\u00f73", 2.0),  # division sign
        ("[3]", 3.0),
        ("1e308 * 1.5", 1.5e308),
    ],
)
def test_parse_number_reads_valid_forms(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "answer is empty"),
        ("   \n ", "answer is empty"),
        ("1 +* 2", "could not read the answer near"),
        ("1+", "could not read the answer"),
        ("(1+2", "missing a closing )"),
        ("sqrt(2", "missing a closing )"),
        ("1+2)", ") with no matching opening bracket"),
        ("(1]", "a ) is missing before the ]"),
        ("{1}", "not { }"),
        ("1/0", "division by zero"),
        ("1/(1-1)", "division by zero"),
        ("0^-1", "division by zero"),
        ("nan", "nan (not a number) is not accepted"),
        ("NaN", "nan (not a number) is not accepted"),
        ("inf", "infinite values are not accepted"),
        ("-infinity", "infinite values are not accepted"),
        ("9**9**9", "too large"),
        ("9^9^9", "too large"),
        ("1e999", "too large"),
        ("exp(1000)", "too large"),
        ("1e308 * 10", "too large"),
        ("1e308 / 1e-10", "too large"),
        ("x", "unknown name 'x'"),
        ("2*y + 1", "unknown name 'y'"),
        ("foo(2)", "unknown function 'foo'"),
        ("relu(2)", "unknown function 'relu'"),
        ("sqrt(1, 2)", "sqrt takes one argument, got 2"),
        ("exp()", "exp takes one argument, got 0"),
        ("sqrt", "sqrt is a function"),
        ("pi(2)", "pi is a constant, not a function"),
        ("sqrt(-1)", "not a real number"),
        ("log(0)", "not a real number"),
        ("ln(-2)", "not a real number"),
        ("log10(0)", "not a real number"),
        ("(-8)^(1/3)", "not a real number"),
        ("1j", "not a real number"),
        ("2pi", "explicit *"),
        ("2(3+1)", "explicit *"),
        ("(1+1)(2)", "explicit *"),
        ("007", "cannot start with 0"),
        ("5 % 3", "operator % is not allowed"),
        ("7 // 2", "operator // is not allowed"),
        ("True", "only numbers"),
        ("'1'", "only numbers"),
        ("math.pi", "only numbers"),
        ("__import__('os')", "unknown function '__import__'"),
        ("sqrt(x=2)", "only numbers"),
        ("1 < 2", "only numbers"),
        ("lambda: 1", "only numbers"),
        ("1, 2", "single number"),
        ("0,5", "decimal point"),
        ("[1, 2]", "single number, not 2 entries"),
        ("x" * 5001, "too long"),
        ("(" * 240 + "1" + ")" * 240, "too deeply nested"),
        ("(" * 300 + "1" + ")" * 300, "too long (over 500 characters)"),
        ("+".join(["1"] * 2400), "too long (over 500 characters)"),
        ("-" * 4000 + "1", "too long (over 500 characters)"),
        ("1\x00", "could not read"),
        ("hello world", "unknown name 'hello'."),  # the word, not "near 'llo world'"
        ("2 * hello", "unknown name 'hello'."),
        ("1 2", "enter a single number, not 2 entries."),
    ],
)
def test_parse_number_rejects_with_message(text: str, fragment: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_number(text)
    assert fragment.lower() in caught.value.message.lower()
    assert caught.value.message == str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.5", 0.5),
        ("-3", -3.0),
        ("\u22123", -3.0),
        ("+2.5e-3", 2.5e-3),
        ("1/4", 0.25),
        (" -1 / 8 ", -0.125),
        ("3/-4", -0.75),
    ],
)
def test_plain_numbers_are_read_with_expressions_off(text: str, expected: float) -> None:
    assert parse_number(text, expressions=False) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("sqrt(2)", "expressions are switched off"),
        ("2^3", "expressions are switched off"),
        ("1+1", "expressions are switched off"),
        ("pi", "expressions are switched off"),
        ("1/2/3", "expressions are switched off"),
        ("x", "unknown name 'x'"),
        ("nan", "nan"),
        ("1/0", "division by zero"),
        ("1e999", "too large"),
        ("1 +* 2", "could not read"),
        ("", "answer is empty"),
    ],
)
def test_expressions_off_rejects_everything_but_plain_numbers(text: str, fragment: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_number(text, expressions=False)
    assert fragment in caught.value.message.lower()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", 5.0),
        ("[1, 2, 3]", [1.0, 2.0, 3.0]),
        ("[1 2 3]", [1.0, 2.0, 3.0]),
        ("[ 1 , 2 ]", [1.0, 2.0]),
        ("[1 -2]", [1.0, -2.0]),
        ("[1 -2 +3]", [1.0, -2.0, 3.0]),
        ("[-1 -2; -3 -4]", [[-1.0, -2.0], [-3.0, -4.0]]),
        ("[1e-3 2E+4]", [1e-3, 2e4]),
        ("[1; 2; 3]", [[1.0], [2.0], [3.0]]),
        ("[1 2; 3 4]", [[1.0, 2.0], [3.0, 4.0]]),
        ("[1, 2; 3, 4]", [[1.0, 2.0], [3.0, 4.0]]),
        ("[1 2; 3 4;]", [[1.0, 2.0], [3.0, 4.0]]),  # trailing ; as MATLAB allows
        ("[1 2\n3 4]", [[1.0, 2.0], [3.0, 4.0]]),  # newline ends a row, as in MATLAB
        ("[1 2 3;]", [1.0, 2.0, 3.0]),
        ("[[1, 2], [3, 4]]", [[1.0, 2.0], [3.0, 4.0]]),
        ("[[1,2],\n [3,4]]", [[1.0, 2.0], [3.0, 4.0]]),
        ("[[1 2] [3 4]]", [[1.0, 2.0], [3.0, 4.0]]),
        ("[[1, 2, 3]]", [[1.0, 2.0, 3.0]]),
        ("[[1], [2]]", [[1.0], [2.0]]),
        ("[1/2, -3e-1; sqrt(2), 0]", [[0.5, -0.3], [math.sqrt(2), 0.0]]),
        ("[sqrt(2 + 2) 1]", [2.0, 1.0]),
        ("[exp(0), 2^-1]", [1.0, 0.5]),
        ("[1 - 2, 3]", [-1.0, 3.0]),  # with commas, spaces inside an entry are fine
        ("[\u22121 \u22122]", [-1.0, -2.0]),
        ("[[1e-3, .5], [5., -0]]", [[1e-3, 0.5], [5.0, 0.0]]),
        # without the outer brackets, read exactly as inside them (what students type, and what the preview shows)
        ("1, 2, 3", [1.0, 2.0, 3.0]),
        ("1 2 3", [1.0, 2.0, 3.0]),
        ("1 -2", [1.0, -2.0]),
        ("1; 2", [[1.0], [2.0]]),
        ("1 2\n3 4", [[1.0, 2.0], [3.0, 4.0]]),
        ("1, 2; 3, 4", [[1.0, 2.0], [3.0, 4.0]]),
        ("1 2\n3 4\n", [[1.0, 2.0], [3.0, 4.0]]),
        ("[1, 2], [3, 4]", [[1.0, 2.0], [3.0, 4.0]]),
        ("[1, 2] [3, 4]", [[1.0, 2.0], [3.0, 4.0]]),
        ("[1 2]\n[3 4]", [[1.0, 2.0], [3.0, 4.0]]),
        ("1 - 2", -1.0),  # spaces around an operator: one expression
        ("sin (0) 2", [0.0, 2.0]),  # a function and its bracket are one entry
        ("[sin (0), cos (0)]", [0.0, 1.0]),
    ],
)
def test_parse_array_reads_valid_forms(text: str, expected: float | list) -> None:
    result = parse_array(text)
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, np.array(expected), rtol=1e-12)
    assert result.shape == np.array(expected).shape


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "answer is empty"),
        ("[]", "matrix is empty"),
        ("[ ]", "matrix is empty"),
        ("[[]]", "matrix is empty"),
        ("[[], []]", "matrix is empty"),
        ("[;]", "matrix is empty"),
        ("[1, 2", "missing a closing ]"),
        ("[[1, 2], [3, 4]", "missing a closing ]"),
        ("[1, 2]]", "] with no matching opening bracket"),
        ("[(1, 2]", "a ) is missing before the ]"),
        ("[[1, 2], [3]]", "row 2 has 1 entry, row 1 has 2"),
        ("[1 2; 3 4 5]", "row 2 has 3 entries, row 1 has 2"),
        ("[[1, 2], [3, 4], [5, 6, 7]]", "row 3 has 3 entries, row 1 has 2"),
        ("[[[1]]]", "nested more than two levels"),
        ("[[1, [2]]]", "nested more than two levels"),
        ("[1, [2, 3]]", "every row needs its own brackets"),
        ("[[1, 2], 3]", "every row needs its own brackets"),
        ("[[1, 2]; [3, 4]]", "not a mix of both"),
        ("[1 2; [3 4]]", "not a mix of both"),
        ("[[1; 2]]", "not a mix of both"),
        ("[1 - 2 3]", "separate entries with commas"),
        ("[1 -2 + 3]", "separate entries with commas"),
        ("[2 ^3]", "separate entries with commas"),
        ("[2* 3]", "separate entries with commas"),
        ("[1, 2 3]", "all with commas or all with spaces"),
        ("[1,, 2]", "empty entry"),
        ("[1, 2,]", "empty entry"),
        ("[[1, 2],]", "empty entry"),
        ("2*[1, 2]", "square brackets go around a whole"),
        ("(1, 2)", "square brackets"),
        ("[1, x]", "unknown name 'x'"),
        ("[1 2; 3 y]", "row 2: unknown name 'y'"),
        ("[1/0, 1]", "division by zero"),
        ("[nan 1]", "nan"),
        ("[1, 1e999]", "too large"),
        ("[sqrt(-1)]", "not a real number"),
        ("[1, 2 +* 3]", "could not read the answer near '2 +* 3]'"),
        ("1, 2\n3", "row 2 has 1 entry, row 1 has 2"),
        ("2*[1, 2]", "square brackets go around a whole"),
        ("[1, 2] 3", "every row needs its own brackets"),
        ("hello world", "unknown name 'hello'"),
        ("1 hello", "unknown name 'hello'"),
        ("[" + "1, " * 2000 + "1]", "too long"),
    ],
)
def test_parse_array_rejects_with_message(text: str, fragment: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_array(text)
    assert fragment.lower() in caught.value.message.lower()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1 2; 3 4]", [[1.0, 2.0], [3.0, 4.0]]),
        ("[1/2, -0.25]", [0.5, -0.25]),
        ("[\u22121e-3 2]", [-1e-3, 2.0]),
    ],
)
def test_parse_array_reads_plain_entries_with_expressions_off(text: str, expected: list) -> None:
    np.testing.assert_allclose(parse_array(text, expressions=False), expected)


@pytest.mark.parametrize("text", ["[sqrt(2), 1]", "[1 2; 3 2^2]", "[pi]"])
def test_parse_array_rejects_expression_entries_with_expressions_off(text: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_array(text, expressions=False)
    assert "expressions are switched off" in caught.value.message.lower()


def test_every_failure_case_has_its_own_message() -> None:
    failing = ["", "1 +* 2", "(1", "[[1], [2, 3]]", "[]", "[[[1]]]", "1/0", "nan", "inf", "9^9^9", "x",
               "foo(1)", "sqrt(1, 2)", "sqrt(-1)", "1, 2]", "[1 - 2 3]"]
    messages = []
    for text in failing:
        with pytest.raises(AnswerError) as caught:
            parse_array(text)
        messages.append(caught.value.message)
    assert len(set(messages)) == len(failing)


@given(st.text(max_size=200))
def test_parse_array_raises_only_answer_errors(text: str) -> None:
    try:
        result = parse_array(text)
    except AnswerError as error:
        assert error.message
    else:
        assert result.ndim <= 2 and np.all(np.isfinite(result))


@given(st.text(alphabet="0123456789.+-*/^()[];, \nepisqrtxabc", max_size=60))
def test_parse_array_raises_only_answer_errors_on_answer_like_text(text: str) -> None:
    try:
        result = parse_array(text)
    except AnswerError as error:
        assert error.message
    else:
        assert result.ndim <= 2 and np.all(np.isfinite(result))


def _read_as_expression(text: str) -> float | str:
    """What the expression reader makes of one entry: its value, or its message."""
    from quizserver.grading.parse import _Piece, _read_expression

    try:
        return _read_expression(_Piece(text, 0), text)
    except AnswerError as error:
        return error.message


def _read_as_entry(text: str) -> float | str:
    from quizserver.grading.parse import _Piece, _read_entry

    try:
        return _read_entry(_Piece(text, 0), text, True)
    except AnswerError as error:
        return error.message


def _same(a: float | str, b: float | str) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)  # -0.0 stays -0.0
    return a == b


@given(st.from_regex(r"\A[+-]?(?:[0-9]{1,45}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:[eE][+-]?[0-9]{1,5})?\Z"))
def test_a_plain_decimal_entry_reads_as_the_expression_reader_reads_it(text: str) -> None:
    """Plain decimals skip Python's parser; the value (or the message: 007, 1e999) must not change."""
    assert _same(_read_as_entry(text), _read_as_expression(text)), text


@pytest.mark.parametrize(
    "text",
    ["007", "00.5", "0", "-0", "-0.0", "1e999", "-1e999", "1e-999", "5.", ".5", "+.5e+3", "9" * 40, "9" * 41, "1_000"],
)
def test_edge_decimals_read_as_the_expression_reader_reads_them(text: str) -> None:
    assert _same(_read_as_entry(text), _read_as_expression(text)), text
