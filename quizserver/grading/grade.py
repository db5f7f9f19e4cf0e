"""Grading one raw answer against a key: numbers, whole numbers, matrices and choices.

`grade` never raises for anything a student types (that is a Grade with status INVALID);
a key or spec the question author got wrong raises ValueError.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from .alternatives import alternatives, closest, is_any_of
from .format import format_number
from .parse import AnswerError, parse_array, parse_number
from .types import DIGIT_SLACK, AnswerSpec, Grade, Status, Tolerance

CORRECT_MESSAGE = "Correct."
NOT_CORRECT = "Not correct."
# A wrong answer within this many tolerances of the key is called a rounding slip.
ROUNDING_WINDOW = 10.0
# Factors a lone number is checked against: a random wrong answer is always *some* multiple of a scalar key.
SCALAR_FACTORS = (2.0, 3.0, 4.0, 10.0, 100.0, 1000.0, 0.5, 1 / 3, 0.25, 0.1, 0.01, 0.001)
_SCALAR_CANDIDATES = np.array(SCALAR_FACTORS + tuple(-c for c in SCALAR_FACTORS))
_WHOLE_NUMBER_SLACK = 1e-9

Grader = Callable[[AnswerSpec, Any, str], Grade]


def _invalid(message: str) -> Grade:
    return Grade(Status.INVALID, 0.0, message)


def _check_tolerance(tolerance: Tolerance) -> None:
    for name in ("rtol", "atol"):
        value = getattr(tolerance, name)
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"tolerance {name} must be a finite number >= 0, got {value!r}")
    for name in ("sigfig", "decdig"):
        digits = getattr(tolerance, name)
        if digits is not None and (isinstance(digits, bool) or not isinstance(digits, int) or digits < 1):
            raise ValueError(f"tolerance {name} must be a whole number >= 1, got {digits!r}")


def _key_array(key: Any) -> np.ndarray:
    try:
        array = np.asarray(key, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"the answer key is not a number or a rectangular array: {error}") from None
    if array.ndim > 2 or array.size == 0:
        raise ValueError(f"the answer key must be a number, vector or matrix, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("the answer key contains nan or inf")
    return array


def _scalar_key(key: Any) -> float:
    array = _key_array(key)
    if array.size != 1:
        raise ValueError(f"a numeric answer key must be a single number, got shape {array.shape}")
    return float(array.reshape(()))


def _bound(key: np.ndarray, tolerance: Tolerance) -> np.ndarray:
    """How far an entry may be from the key: atol + rtol*|key|, or 0.51 units in the digit asked for."""
    key = np.asarray(key, dtype=np.float64)
    if tolerance.sigfig is not None:
        with np.errstate(all="ignore"):
            magnitude = np.where(key == 0, 0.0, np.floor(np.log10(np.abs(np.where(key == 0, 1.0, key)))))
        return DIGIT_SLACK * 10.0 ** (magnitude - tolerance.sigfig + 1)
    if tolerance.decdig is not None:
        return np.full(key.shape, DIGIT_SLACK * 10.0 ** -tolerance.decdig)
    return tolerance.atol + tolerance.rtol * np.abs(key)


def tolerance_bound(key: Any, tolerance: Tolerance) -> np.ndarray:
    """Entrywise, how far an answer may be from the key (strictly less than this for sigfig and decdig)."""
    return _bound(np.asarray(key, dtype=np.float64), tolerance)


def within(answer: Any, key: Any, tolerance: Tolerance) -> np.ndarray:
    """Entrywise |answer - key| <= atol + rtol*|key|; with sigfig or decdig, strictly inside 0.51 units of
    the last digit asked for (PrairieLearn's rule)."""
    answer, key = np.asarray(answer, dtype=np.float64), np.asarray(key, dtype=np.float64)
    with np.errstate(all="ignore"):  # huge entries may overflow to inf, which simply compares as "outside"
        if tolerance.by_digits:
            return np.abs(answer - key) < _bound(key, tolerance)
        return np.abs(answer - key) <= _bound(key, tolerance)


def _describe_tolerance(key: np.ndarray, tolerance: Tolerance) -> str:
    if tolerance.by_digits:
        return tolerance.rule()
    if tolerance.rtol > 0 and tolerance.rtol * float(np.max(np.abs(key))) >= tolerance.atol:
        return f"relative {format_number(tolerance.rtol * 100, 3)}%"
    return f"absolute {format_number(tolerance.atol, 3)}"


# a number as typed: digits, an optional point and more digits, an optional exponent
_TYPED_NUMBER = re.compile(r"[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?")
_BETWEEN_NUMBERS = re.compile(r"[\s,;\[\]]+")


def _typed_digits(token: str) -> tuple[int, int] | None:
    """(significant figures, decimal places) of one typed number such as 0.0250 or 2.5e-3, or None."""
    match = _TYPED_NUMBER.fullmatch(token)
    if match is None or not (match.group(1) or match.group(2)):
        return None
    whole, fraction, exponent = match.group(1), match.group(2) or "", int(match.group(3) or 0)
    significant = (whole + fraction).lstrip("0")
    return len(significant), len(fraction) - exponent


def too_few_digits(raw: str, tolerance: Tolerance) -> bool:
    """True when what was typed is plain numbers and one of them has fewer digits than the rule asks for.

    An expression such as exp(-1) has as many digits as it needs, so it is never called imprecise."""
    if not tolerance.by_digits:
        return False
    tokens = [t for t in _BETWEEN_NUMBERS.split(raw or "") if t]
    counted = [_typed_digits(t.replace("\u2212", "-")) for t in tokens]
    if not counted or any(c is None for c in counted):
        return False
    if tolerance.sigfig is not None:
        return any(c is not None and c[0] < tolerance.sigfig for c in counted)
    assert tolerance.decdig is not None
    return any(c is not None and c[1] < tolerance.decdig for c in counted)


def precision_message(tolerance: Tolerance) -> str:
    return f"{NOT_CORRECT} Not enough precision: give {tolerance.rule()}."


def _is_zero(key: np.ndarray, tolerance: Tolerance) -> bool:
    return bool((np.abs(key) <= tolerance.atol).all())


def _constant_factor(answer: np.ndarray, key: np.ndarray, tolerance: Tolerance) -> float | None:
    """The c with answer ≈ c*key, if there is one that is worth telling the student about."""
    if _is_zero(key, tolerance) or _is_zero(answer, tolerance):
        return None
    with np.errstate(all="ignore"):
        if np.count_nonzero(np.abs(key) > tolerance.atol) >= 2:
            factors = np.array([np.vdot(answer, key) / np.vdot(key, key)], dtype=np.float64)
        else:
            factors = _SCALAR_CANDIDATES
        # Every candidate at once: one vectorised test instead of a loop over numpy calls.
        # c ≈ 1 is a rounding slip and c ≈ -1 a flipped sign, both reported on their own.
        factors = factors[
            np.isfinite(factors)
            & (np.abs(factors) >= 1e-6)
            & (np.abs(np.abs(factors) - 1) > max(tolerance.rtol, 1e-9) * ROUNDING_WINDOW)
        ]
        if factors.size == 0:
            return None
        scaled = factors.reshape((-1,) + (1,) * key.ndim) * key
        hits = np.flatnonzero(within(answer, scaled, tolerance).reshape(factors.size, -1).all(axis=1))
    return float(factors[hits[0]]) if hits.size else None


def diagnose(answer: np.ndarray, key: np.ndarray, tolerance: Tolerance) -> tuple[str, str] | None:
    """Name a recognisable mistake in a wrong answer of the key's shape: (mistake, sentence)."""
    if not _is_zero(key, tolerance) and within(answer, -key, tolerance).all():
        return "sign", "The sign is flipped."
    if (
        key.ndim == 2
        and key.shape[0] == key.shape[1] > 1
        and not within(key.T, key, tolerance).all()
        and within(answer, key.T, tolerance).all()
    ):
        return "transposed", "It equals the expected answer transposed."
    factor = _constant_factor(answer, key, tolerance)
    if factor is not None:
        return "factor", f"It is off by a constant factor of about {format_number(factor, 3)}."
    with np.errstate(all="ignore"):
        close = np.abs(answer - key) <= ROUNDING_WINDOW * _bound(key, tolerance)
    if close.all():
        return "rounding", (
            f"Close, but not within the tolerance ({_describe_tolerance(key, tolerance)}): keep more digits."
        )
    return None


def _wrong(answer: np.ndarray, key: np.ndarray, tolerance: Tolerance, value: Any, raw: str = "") -> Grade:
    found = diagnose(answer, key, tolerance)
    if (found is None or found[0] == "rounding") and too_few_digits(raw, tolerance):
        return Grade(Status.INCORRECT, 0.0, precision_message(tolerance), value, "precision")
    if found is None:
        return Grade(Status.INCORRECT, 0.0, NOT_CORRECT, value)
    mistake, sentence = found
    message = sentence if mistake == "rounding" else f"{NOT_CORRECT} {sentence}"
    return Grade(Status.INCORRECT, 0.0, message, value, mistake)


def grade_numeric(spec: AnswerSpec, key: Any, raw: str) -> Grade:
    expected = _scalar_key(key)
    _check_tolerance(spec.tolerance)
    try:
        answer = parse_number(raw, expressions=spec.expressions)
    except AnswerError as error:
        return _invalid(error.message)
    if within(answer, expected, spec.tolerance):
        return Grade(Status.CORRECT, 1.0, CORRECT_MESSAGE, answer)
    return _wrong(np.array(answer), np.array(expected), spec.tolerance, answer, raw)


def grade_integer(spec: AnswerSpec, key: Any, raw: str) -> Grade:
    expected = _scalar_key(key)
    if abs(expected - round(expected)) > _WHOLE_NUMBER_SLACK * max(1.0, abs(expected)):
        raise ValueError(f"an integer answer key must be a whole number, got {expected!r}")
    expected = float(round(expected))
    try:
        answer = parse_number(raw, expressions=spec.expressions)
    except AnswerError as error:
        return _invalid(error.message)
    # Slack for float noise such as sqrt(2)^2 = 2.0000000000000004.
    if abs(answer - round(answer)) > _WHOLE_NUMBER_SLACK * max(1.0, abs(answer)):
        return _invalid(f"Expected a whole number, got {format_number(answer)}.")
    whole = round(answer)
    if whole == expected:
        return Grade(Status.CORRECT, 1.0, CORRECT_MESSAGE, whole)
    exact = Tolerance(rtol=0.0, atol=_WHOLE_NUMBER_SLACK)
    found = diagnose(np.array(float(whole)), np.array(expected), exact)
    if found is None or found[0] == "rounding":
        return Grade(Status.INCORRECT, 0.0, NOT_CORRECT, whole)
    return Grade(Status.INCORRECT, 0.0, f"{NOT_CORRECT} {found[1]}", whole, found[0])


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


def _describe_shape(shape: tuple[int, ...]) -> str:
    if len(shape) == 0:
        return "a single number"
    if len(shape) == 1:
        return f"a vector of {_entries(shape[0])}"
    return f"{shape[0]}x{shape[1]}"


def _is_vector_shape(shape: tuple[int, ...]) -> bool:
    return len(shape) == 1 or (len(shape) == 2 and 1 in shape)


def _align(answer: np.ndarray, key: np.ndarray) -> np.ndarray | None:
    """The answer reshaped to the key's shape when its shape counts as the same, else None."""
    if key.ndim == 0:
        return answer.reshape(()) if answer.size == 1 else None
    if answer.ndim == 0:
        answer = answer.reshape(1, 1)
    if key.ndim == 1:
        return answer.reshape(key.shape) if _is_vector_shape(answer.shape) and answer.size == key.size else None
    if answer.ndim == 1:
        answer = answer.reshape(1, -1)  # a typed [1, 2, 3] is a row
    return answer if answer.shape == key.shape else None


def _shape_message(answer: np.ndarray, key: np.ndarray) -> str:
    if key.ndim == 0:
        return f"Expected a single number, got {_describe_shape(answer.shape)}."
    if key.ndim == 1:
        vector = answer.ndim > 0 and _is_vector_shape(answer.shape)
        got = str(answer.size) if vector else _describe_shape(answer.shape)
        return f"Expected a vector of {_entries(key.size)}, got {got}."
    return f"Expected {key.shape[0]}x{key.shape[1]}, got {_describe_shape(answer.shape)}."


def _equals_transposed(answer: np.ndarray, key: np.ndarray, tolerance: Tolerance) -> bool:
    if key.ndim != 2:
        return False
    flipped = answer.reshape(1, -1) if answer.ndim == 1 else answer
    return flipped.shape == key.T.shape and bool(np.all(within(flipped, key.T, tolerance)))


def counts_as_other_size(answer: np.ndarray, key: np.ndarray) -> bool:
    """The shape rule (docs/authoring.md, "Wrong shapes"): an answer with a different number of entries than
    the key answers some other question, so it is invalid and uses no attempt; the same number of entries in
    another arrangement (transposed, a row for a column, a matrix flattened) is graded as wrong, with its
    diagnosis. The shape preview on the quiz page (static/quiz.js) says the same before Check."""
    return answer.size != key.size


def grade_matrix(spec: AnswerSpec, key: Any, raw: str) -> Grade:
    expected = _key_array(key)
    _check_tolerance(spec.tolerance)
    try:
        answer = parse_array(raw, expressions=spec.expressions)
    except AnswerError as error:
        return _invalid(error.message)
    value = answer.tolist()
    aligned = _align(answer, expected)
    if aligned is None:
        message = _shape_message(answer, expected)
        if counts_as_other_size(answer, expected):
            return Grade(Status.INVALID, 0.0, message, None, "shape")
        if _equals_transposed(answer, expected, spec.tolerance):
            return Grade(Status.INCORRECT, 0.0, f"{message} It equals the expected answer transposed.", value,
                         "transposed")
        return Grade(Status.INCORRECT, 0.0, message, value, "shape")
    right = within(aligned, expected, spec.tolerance)
    if np.all(right):
        return Grade(Status.CORRECT, 1.0, CORRECT_MESSAGE, value)
    if not spec.partial:
        return _wrong(aligned, expected, spec.tolerance, value, raw)
    count = int(np.count_nonzero(right))
    found = diagnose(aligned, expected, spec.tolerance)
    message = f"{count} of {right.size} entries are right."
    if found is not None:
        message += f" {found[1]}"
    status = Status.PARTIAL if count else Status.INCORRECT
    return Grade(status, count / right.size, message, value, found[0] if found else None)


def _choice_ids(spec: AnswerSpec) -> list[str]:
    if not spec.choices:
        raise ValueError(f"a {spec.type} question needs choices")
    return [choice.id for choice in spec.choices]


def _correct_set(spec: AnswerSpec, key: Any) -> set[str]:
    ids = _choice_ids(spec)
    if isinstance(key, str) or not all(isinstance(item, str) for item in key):
        raise ValueError(f"a choice key must be a list of choice ids, got {key!r}")
    unknown = [item for item in key if item not in ids]
    if unknown:
        raise ValueError(f"the choice key names unknown choices {unknown!r}; the choices are {ids!r}")
    return set(key)


def _selected(spec: AnswerSpec, raw: str) -> list[str] | str:
    """The selected ids in the order of the choices, or a message saying why they cannot be read."""
    ids = _choice_ids(spec)
    folded = {choice_id.lower(): choice_id for choice_id in ids}
    picked: set[str] = set()
    for part in (raw or "").split(","):
        typed = part.strip()
        if not typed:
            continue
        choice_id = typed if typed in ids else folded.get(typed.lower())
        if choice_id is None:
            return f"Unknown choice '{typed[:20]}'."
        picked.add(choice_id)
    if not picked:
        return "No choice is selected."
    return [choice_id for choice_id in ids if choice_id in picked]


def grade_single_choice(spec: AnswerSpec, key: Any, raw: str) -> Grade:
    correct = _correct_set(spec, key)
    selected = _selected(spec, raw)
    if isinstance(selected, str):
        return _invalid(selected)
    if len(selected) > 1:
        return _invalid("Select only one choice.")
    if selected[0] in correct:
        return Grade(Status.CORRECT, 1.0, CORRECT_MESSAGE, selected)
    feedback = next(choice.feedback for choice in spec.choices if choice.id == selected[0])
    return Grade(Status.INCORRECT, 0.0, feedback.strip() or NOT_CORRECT, selected)


def grade_multiple_choice(spec: AnswerSpec, key: Any, raw: str) -> Grade:
    correct = _correct_set(spec, key)
    selected = _selected(spec, raw)
    if isinstance(selected, str):
        return _invalid(selected)
    if set(selected) == correct:
        return Grade(Status.CORRECT, 1.0, CORRECT_MESSAGE, selected)
    wrong = [choice for choice in spec.choices if choice.id in selected and choice.id not in correct]
    notes = [choice.feedback.strip() for choice in wrong if choice.feedback.strip()]
    if any(not choice.feedback.strip() for choice in wrong):
        notes.append("A selected choice is not correct.")
    if correct - set(selected):
        notes.append("A correct choice was not selected.")
    message = " ".join(notes)
    if not spec.partial or not correct:
        return Grade(Status.INCORRECT, 0.0, message, selected)
    hits = len(correct & set(selected))
    score = max(0.0, (hits - len(wrong)) / len(correct))
    return Grade(Status.PARTIAL if score > 0 else Status.INCORRECT, score, message, selected)


def grade(spec: AnswerSpec, key: Any, raw: str) -> Grade:
    """Grade what a student typed with the grader of the question's type (grading.qtypes); a key with
    alternatives (`{"any_of": [...]}`) is graded against the closest one."""
    from .qtypes import question_type  # the type modules import this module's graders

    grader = question_type(spec.type).grader
    if not is_any_of(key):
        return grader(spec, key, raw)
    keys = alternatives(key)
    return closest([grader(spec, k, raw) for k in keys], keys, spec.tolerance)
