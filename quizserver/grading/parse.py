"""Reading what a student typed: numbers, arithmetic expressions and matrices.

The text is never evaluated by Python: expressions go through `ast.parse` and a walk over a
whitelist of node types, with every step done in float64. Arrays are split into rows and entries
here (so MATLAB style works too) and each entry is read as an expression.
"""
from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

import numpy as np

MAX_ANSWER_LENGTH = 5000
MAX_ENTRY_LENGTH = 500  # one number or expression: a long formula typed by hand is well under this

# Dash-like characters people paste from slides or word processors, all meant as minus.
_MINUS_SIGNS = "\u2212\u2010\u2011\u2012\u2013\u2014\ufe63\uff0d"
_TIMES_SIGNS = "\u00d7\u00b7\u22c5"
_SPACES = "\u00a0\u2009\u202f\u2007\u3000\t\r"
_NORMALISE = str.maketrans(
    {**dict.fromkeys(_MINUS_SIGNS, "-"), **dict.fromkeys(_TIMES_SIGNS, "*"),
     **dict.fromkeys(_SPACES, " "), "\u00f7": "/"}
)

# Every regex read on student text has one way to match each character: possessive runs (*+, ++) never
# give characters back, so a failed match costs linear time, not quadratic (tests/security/test_parse_cost.py).
_NUMBER = r"(?:\d++(?:\.\d*+)?|\.\d++)(?:[eE][+-]?\d++)?"
_PLAIN_NUMBER = re.compile(rf"\s*+([+-]?{_NUMBER})\s*+(?:/\s*+([+-]?{_NUMBER})\s*+)?")
# A digit or ")" directly followed by a name or "(": the student left out a "*" (2pi, 2(3+1)).
_IMPLICIT_PRODUCT = re.compile(r"(?:\d(?![eE][+-]?\d)|\))\s*+[A-Za-z_(\u03c0]")
_OPERATOR_CHARS = "+-*/^"
# A signed decimal that Python's own grammar reads as the same number float() does: ASCII digits, and
# no integer part with a leading zero (007 is a syntax error there). Up to _SHORT characters, both
# round the exact value once, to the nearest float.
_DECIMAL = re.compile(r"[+-]?(?:(?:0|[1-9][0-9]*+)(?:\.[0-9]*+)?|\.[0-9]++)(?:[eE][+-]?[0-9]++)?", re.ASCII)
_SHORT = 40

CONSTANTS: dict[str, float] = {"pi": math.pi, "\u03c0": math.pi, "e": math.e}


class AnswerError(ValueError):
    """An answer that cannot be read; `.message` tells the student what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows for large |x|.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _sqrt(x: float) -> float:
    if x < 0:
        raise AnswerError("The square root of a negative number is not a real number.")
    return math.sqrt(x)


def _logarithm(log: Callable[[float], float]) -> Callable[[float], float]:
    def checked(x: float) -> float:
        if x <= 0:
            raise AnswerError("The logarithm of zero or a negative number is not a real number.")
        return log(x)

    return checked


FUNCTIONS: dict[str, Callable[[float], float]] = {
    "exp": math.exp,
    "log": _logarithm(math.log),
    "ln": _logarithm(math.log),
    "log10": _logarithm(math.log10),
    "log2": _logarithm(math.log2),
    "sqrt": _sqrt,
    "abs": abs,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "tanh": math.tanh,
    "sigmoid": _sigmoid,
}

_OPERATOR_NAMES = {
    ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|",
    ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "~", ast.Not: "not",
}


def _finite(x: float) -> float:
    if math.isnan(x):
        raise AnswerError("The result is not a number (nan).")
    if math.isinf(x):
        raise AnswerError("The number is too large.")
    return x


def _power(base: float, exponent: float) -> float:
    if base == 0 and exponent < 0:
        raise AnswerError("Division by zero.")
    try:
        return math.pow(base, exponent)
    except OverflowError:
        raise AnswerError("The number is too large.") from None
    except ValueError:
        raise AnswerError("A negative number to a fractional power is not a real number.") from None


def _divide(a: float, b: float) -> float:
    if b == 0:
        raise AnswerError("Division by zero.")
    return a / b


_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: _divide,
    ast.Pow: _power,
}

_NOT_ALLOWED = "Only numbers, + - * / ^, parentheses and functions such as sqrt(2) are allowed."


def _evaluate(node: ast.expr) -> float:
    """Walk a parsed expression, allowing only arithmetic on real numbers."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, complex):
            raise AnswerError("An imaginary number is not a real number.")
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise AnswerError(_NOT_ALLOWED)
        try:
            return _finite(float(node.value))
        except OverflowError:
            raise AnswerError("The number is too large.") from None
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return -_evaluate(node.operand)
        if isinstance(node.op, ast.UAdd):
            return _evaluate(node.operand)
        raise AnswerError(f"The operator {_OPERATOR_NAMES.get(type(node.op), '?')} is not allowed.")
    if isinstance(node, ast.BinOp):
        operation = _BINARY.get(type(node.op))
        if operation is None:
            raise AnswerError(f"The operator {_OPERATOR_NAMES.get(type(node.op), '?')} is not allowed.")
        left, right = _evaluate(node.left), _evaluate(node.right)
        return _finite(operation(left, right))
    if isinstance(node, ast.Name):
        return _name_value(node.id)
    if isinstance(node, ast.Call):
        return _call(node)
    if isinstance(node, ast.Tuple):
        raise AnswerError("Put several entries in square brackets, e.g. [1, 2, 3].")
    raise AnswerError(_NOT_ALLOWED)


def _name_value(name: str) -> float:
    folded = name.lower()
    if folded in CONSTANTS:
        return CONSTANTS[folded]
    if folded in FUNCTIONS:
        raise AnswerError(f"{folded} is a function: write {folded}(...).")
    if folded == "nan":
        raise AnswerError("nan (not a number) is not accepted.")
    if folded in ("inf", "infinity", "oo"):
        raise AnswerError("Infinite values are not accepted.")
    raise AnswerError(f"Unknown name '{name}'.")


def _call(node: ast.Call) -> float:
    if not isinstance(node.func, ast.Name):
        # Something like 2(3) or (1+1)(2): a product without its "*".
        raise AnswerError("Multiplication needs an explicit *, e.g. 2*(3+1).")
    name = node.func.id.lower()
    function = FUNCTIONS.get(name)
    if function is None:
        if name in CONSTANTS:
            raise AnswerError(f"{name} is a constant, not a function; write {name}*(...) to multiply.")
        raise AnswerError(f"Unknown function '{node.func.id}'.")
    if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
        raise AnswerError(_NOT_ALLOWED)
    if len(node.args) != 1:
        raise AnswerError(f"{name} takes one argument, got {len(node.args)}.")
    argument = _evaluate(node.args[0])
    try:
        return _finite(function(argument))
    except AnswerError:
        raise
    except OverflowError:
        raise AnswerError("The number is too large.") from None
    except ValueError:
        raise AnswerError(f"{name}({argument:.4g}) is not a real number.") from None


class _Piece(NamedTuple):
    """A slice of the normalised answer, remembered with its position for error messages.

    A named tuple, not a dataclass: a matrix answer makes dozens of these, and a tuple is built
    several times faster."""

    text: str
    start: int

    def strip(self) -> _Piece:
        text = self.text
        stripped = text.strip()
        if len(stripped) == len(text):
            return self
        return _Piece(stripped, self.start + len(text) - len(text.lstrip()))

    def inner(self) -> _Piece:
        """The contents of a piece that starts with "[" and ends with the matching "]"."""
        return _Piece(self.text[1:-1], self.start + 1)

    @property
    def bracketed(self) -> bool:
        return self.text.startswith("[") and _matching_close(self.text) == len(self.text) - 1


def _matching_close(text: str) -> int:
    """Index of the bracket closing the one at text[0] (brackets are known to balance)."""
    depth = 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _check_brackets(text: str) -> None:
    opened: list[str] = []
    closing_of = {"(": ")", "[": "]"}
    for index, char in enumerate(text):
        if char in "([":
            opened.append(char)
        elif char in ")]":
            if not opened:
                raise AnswerError(f"There is a {char} with no matching opening bracket (at '{_near(text, index)}').")
            expected = closing_of[opened.pop()]
            if char != expected:
                raise AnswerError(f"A {expected} is missing before the {char} (at '{_near(text, index)}').")
    if opened:
        raise AnswerError(f"The answer is missing a closing {closing_of[opened[-1]]}.")
    for char in "{}":
        if char in text:
            raise AnswerError("Use square brackets [ ] for matrices and round ones ( ) for grouping, not { }.")


_WORD_CHARACTER = re.compile(r"[A-Za-z0-9_.]")


def _near(text: str, index: int) -> str:
    """About ten characters around `index`, widened to whole words: 'hello world', never 'llo world'."""
    start, end = max(0, index - 4), min(len(text), index + 6)
    while start > 0 and start > index - 24 and _WORD_CHARACTER.match(text[start - 1]):
        start -= 1
    while end < len(text) and end < index + 24 and _WORD_CHARACTER.match(text[end]):
        end += 1
    return text[start:end].strip() or text.strip()


@lru_cache(maxsize=16)
def _splitting_characters(separators: str) -> re.Pattern[str]:
    return re.compile("[" + re.escape("()[]" + separators) + "]")


def _split_top_level(piece: _Piece, separators: str) -> list[_Piece]:
    """Split at separator characters that are not inside () or []."""
    text = piece.text
    parts, depth, start = [], 0, 0
    # Only brackets and separators matter: visit those, not every character.
    for match in _splitting_characters(separators).finditer(text):
        char = match.group()
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0:
            index = match.start()
            parts.append(_Piece(text[start:index], piece.start + start))
            start = index + 1
    parts.append(_Piece(text[start:], piece.start + start))
    return parts


def _split_on_spaces(piece: _Piece) -> list[_Piece]:
    parts = [part.strip() for part in _split_top_level(piece, " \n") if part.text.strip()]
    # `sin (1)` is one call, not the entries `sin` and `(1)`
    joined: list[_Piece] = []
    for part in parts:
        if joined and part.text.startswith("(") and joined[-1].text.lower() in FUNCTIONS:
            previous = joined.pop()
            part = _Piece(piece.text[previous.start - piece.start: part.start - piece.start + len(part.text)],
                          previous.start)
        joined.append(part)
    return joined


def _has_top_level(piece: _Piece, separators: str) -> bool:
    if not any(separator in piece.text for separator in separators):
        return False
    return len(_split_top_level(piece, separators)) > 1


def _is_operator_gap(chunks: list[_Piece]) -> bool:
    """Whether spaces sit next to a binary operator, as in [1 - 2 3] or [2 *3]."""
    for chunk in chunks:
        text = chunk.text
        if text[-1] in _OPERATOR_CHARS or text[0] in "*/^":
            return True
    return False


def _read_entry(piece: _Piece, full_text: str, expressions: bool) -> float:
    piece = piece.strip()
    if len(piece.text) > MAX_ENTRY_LENGTH:
        raise AnswerError(f"A number or expression is too long (over {MAX_ENTRY_LENGTH} characters).")
    if expressions:
        if len(piece.text) <= _SHORT and _DECIMAL.fullmatch(piece.text):
            return _finite(float(piece.text))  # what the expression would give, without parsing one
        return _read_expression(piece, full_text)
    plain = _PLAIN_NUMBER.fullmatch(piece.text)
    if plain is None:
        tree = _parse_expression(piece, full_text)  # an unreadable answer gets the more specific message
        if isinstance(tree.body, ast.Name):
            _name_value(tree.body.id)
        raise AnswerError("Expressions are switched off for this question: enter a plain number such as 0.25 or 1/4.")
    numerator = _finite(float(plain.group(1)))
    if plain.group(2) is None:
        return numerator
    return _finite(_divide(numerator, _finite(float(plain.group(2)))))


def _parse_expression(piece: _Piece, full_text: str) -> ast.Expression:
    try:
        return ast.parse(piece.text.replace("^", "**"), mode="eval")
    except SyntaxError as error:
        raise _syntax_error(piece, full_text, error) from None


def _read_expression(piece: _Piece, full_text: str) -> float:
    return _evaluate(_parse_expression(piece, full_text).body)


# A name as the expression grammar sees it; digits before it belong to a number (1e5, 2pi is caught earlier).
_NAME = re.compile(r"(?<![0-9.])[A-Za-z_\u03c0][A-Za-z0-9_]*+")


def _first_unknown_name(text: str) -> str | None:
    """The first word that is neither a constant nor a function (`hello` in `hello world`), or None."""
    for match in _NAME.finditer(text):
        folded = match.group().lower()
        if folded not in CONSTANTS and folded not in FUNCTIONS:
            return match.group()
    return None


def _syntax_error(piece: _Piece, full_text: str, error: SyntaxError) -> AnswerError:
    if "leading zeros" in (error.msg or ""):
        return AnswerError("Numbers cannot start with 0 unless a decimal point follows (write 7, not 07).")
    if "too many nested" in (error.msg or ""):
        return AnswerError("The expression is too deeply nested or too long.")
    if _IMPLICIT_PRODUCT.search(piece.text):
        return AnswerError("Multiplication needs an explicit *, e.g. 2*pi or 3*(1+x).")
    unknown = _first_unknown_name(piece.text)
    if unknown is not None:  # a word is a likelier culprit than wherever Python's parser gave up
        return AnswerError(f"Unknown name '{unknown}'.")
    # Offsets are in the converted text, where each ^ became **; map back to the typed text.
    offset = max(0, min((error.offset or 1) - 1, len(piece.text.replace("^", "**"))))
    typed_offset, converted = 0, 0
    while typed_offset < len(piece.text) and converted < offset:
        converted += 2 if piece.text[typed_offset] == "^" else 1
        typed_offset += 1
    return AnswerError(f"Could not read the answer near '{_near(full_text, piece.start + typed_offset)}'.")


_EMPTY_ENTRY = "There is an empty entry: check for two commas in a row or a trailing comma."
_NESTED_TOO_DEEP = "Brackets are nested more than two levels deep; a matrix looks like [[1, 2], [3, 4]]."
_MIXED_STYLES = "Write a matrix either as [[1, 2], [3, 4]] or as [1 2; 3 4], not a mix of both."
_ROW_BRACKETS = "Every row needs its own brackets, e.g. [[1, 2], [3, 4]]; a vector is [1, 2, 3]."


def _entries_of_row(row: _Piece, full_text: str, expressions: bool) -> list[float]:
    row = row.strip()
    if not row.text:
        return []
    if "[" in row.text:
        raise AnswerError(_NESTED_TOO_DEEP)
    if not _has_top_level(row, ","):
        pieces = _split_on_spaces(row)
        if len(pieces) > 1 and _is_operator_gap(pieces):
            raise AnswerError(
                "Spaces around an operator make it unclear where one entry ends: "
                "separate entries with commas, e.g. [1 - 2, 3]."
            )
        return [_read_entry(piece, full_text, expressions) for piece in pieces]
    values = []
    for piece in (piece.strip() for piece in _split_top_level(row, ",")):
        if not piece.text:
            raise AnswerError(_EMPTY_ENTRY)
        try:
            values.append(_read_entry(piece, full_text, expressions))
        except AnswerError:
            chunks = _split_on_spaces(piece)
            if len(chunks) > 1 and not _is_operator_gap(chunks):
                raise AnswerError("Separate entries either all with commas or all with spaces, not a mix.") from None
            raise
    return values


def _label(error: AnswerError, where: str) -> AnswerError:
    message = error.message
    return AnswerError(f"{where}: {message[0].lower()}{message[1:]}")


def _read_rows(rows: list[_Piece], full_text: str, expressions: bool) -> np.ndarray:
    matrix: list[list[float]] = []
    for number, row in enumerate(rows, start=1):
        try:
            matrix.append(_entries_of_row(row, full_text, expressions))
        except AnswerError as error:
            raise (_label(error, f"Row {number}") if len(rows) > 1 else error) from None
    if all(not entries for entries in matrix):
        raise AnswerError("The matrix is empty.")
    for number, entries in enumerate(matrix[1:], start=2):
        if len(entries) != len(matrix[0]):
            raise AnswerError(f"Row {number} has {_entries(len(entries))}, row 1 has {len(matrix[0])}.")
    return np.array(matrix, dtype=np.float64)


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


def _read_bracketed(whole: _Piece, full_text: str, expressions: bool) -> np.ndarray:
    return _read_inside(whole.inner(), full_text, expressions)


def _read_inside(inner: _Piece, full_text: str, expressions: bool) -> np.ndarray:
    """The rows and entries of a vector or matrix: the text between its outer brackets, or a whole answer
    typed without them (`1 2` Enter `3 4`, `1, 2; 3, 4`), which reads exactly as it would inside [ ]."""
    if inner.strip().text.startswith("["):
        return _read_nested_rows(inner, full_text, expressions)
    # MATLAB style; like MATLAB, a newline ends a row too and blank rows are skipped.
    rows = [row for row in _split_top_level(inner, ";\n") if row.text.strip()]
    if not rows:
        raise AnswerError("The matrix is empty.")
    for row in rows:
        if any(item.strip().bracketed for item in _split_top_level(row, ", ")):
            raise AnswerError(_MIXED_STYLES if len(rows) > 1 else _ROW_BRACKETS)
    matrix = _read_rows(rows, full_text, expressions)
    return matrix[0] if len(rows) == 1 else matrix


def _read_nested_rows(inner: _Piece, full_text: str, expressions: bool) -> np.ndarray:
    """Python style, [[1, 2], [3, 4]]; rows may also be separated by spaces or newlines."""
    if _has_top_level(inner, ";"):
        raise AnswerError(_MIXED_STYLES)
    items = [item.strip() for item in _split_top_level(inner, ",")]
    if len(items) == 1:
        items = _split_on_spaces(inner)
    if any(not item.text for item in items):
        raise AnswerError(_EMPTY_ENTRY)
    if not all(item.bracketed for item in items):
        raise AnswerError(_ROW_BRACKETS)
    rows = [item.inner() for item in items]
    if any(_has_top_level(row, ";") for row in rows):
        raise AnswerError(_MIXED_STYLES)
    return _read_rows(rows, full_text, expressions)


def _read(text: str, expressions: bool, single: bool) -> np.ndarray:
    if len(text) > MAX_ANSWER_LENGTH:
        raise AnswerError(f"The answer is too long (over {MAX_ANSWER_LENGTH} characters).")
    text = text.translate(_NORMALISE)
    if not text.strip():
        raise AnswerError("The answer is empty.")
    _check_brackets(text)
    whole = _Piece(text, 0).strip()
    if whole.bracketed:
        return _read_bracketed(whole, text, expressions)
    if not single and _several_entries(whole):
        return _read_inside(whole, text, expressions)
    if "[" in whole.text:
        raise AnswerError("Square brackets go around a whole vector or matrix, e.g. [1, 2, 3]; use ( ) for grouping.")
    several = (
        ("Enter a single number (use a decimal point, not a comma)." if "," in whole.text
         else f"Enter a single number, not {_entries(len(_split_on_spaces(whole)))}.")
        if single
        else "Put several entries in square brackets, e.g. [1, 2, 3]."
    )
    if _has_top_level(whole, ",;"):
        raise AnswerError(several)
    try:
        return np.array(_read_entry(whole, text, expressions), dtype=np.float64)
    except AnswerError:
        chunks = _split_on_spaces(whole)
        if len(chunks) > 1 and not _is_operator_gap(chunks) and all(
            _PLAIN_NUMBER.fullmatch(chunk.text) for chunk in chunks
        ):
            raise AnswerError(several) from None
        raise


def _several_entries(whole: _Piece) -> bool:
    """Whether an answer typed without outer brackets holds several entries, so it reads as if inside [ ].

    Rows as bracketed lists (`[1, 2], [3, 4]`), entries or rows separated by `,` `;` or a new line, or
    entries separated by spaces (`1 -2` is two entries, as in `[1 -2]`; `1 - 2` stays one expression).
    The shape preview in static/quiz.js applies the same rule (tests/e2e/test_answer_syntax.py).
    """
    if whole.text.startswith("["):
        return True
    if "[" in whole.text:
        return False
    if _has_top_level(whole, ",;\n"):
        return True
    chunks = _split_on_spaces(whole)
    return len(chunks) > 1 and not _is_operator_gap(chunks)


def _guarded_read(text: str, expressions: bool, single: bool) -> np.ndarray:
    if not isinstance(text, str):
        raise AnswerError("The answer is empty.")
    try:
        return _read(text, expressions, single)
    except AnswerError:
        raise
    except (RecursionError, MemoryError):
        raise AnswerError("The expression is too deeply nested or too long.") from None
    except Exception:  # noqa: BLE001 -- a student's text must never crash grading
        raise AnswerError("Could not read the answer.") from None


def parse_array(text: str, *, expressions: bool = True) -> np.ndarray:
    """Read a number, vector or matrix; the result is float64 with ndim 0, 1 or 2.

    `[1, 2, 3]` and `[1 2 3]` are vectors (ndim 1); `[1; 2; 3]` is a 3x1 column;
    `[[1, 2], [3, 4]]` and `[1 2; 3 4]` are 2x2; a bare `5` has ndim 0. The outer brackets may be left
    out: `1 2 3` is a vector, `1, 2; 3, 4` and `1 2` + new line + `3 4` are 2x2.
    """
    return _guarded_read(text, expressions, single=False)


def parse_number(text: str, *, expressions: bool = True) -> float:
    """Read one real number such as `-0.25`, `1/4`, `2^-3` or `exp(-1)`."""
    value = _guarded_read(text, expressions, single=True)
    if value.size != 1:
        raise AnswerError(f"Enter a single number, not {_entries(value.size)}.")
    return float(value.reshape(()))
