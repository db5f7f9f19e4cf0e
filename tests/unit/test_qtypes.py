"""The question-type registry: each type declares its keys, key shape, grader and hint in one module, and
the validator, `quiz check`, grading and the quiz page read them from there."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from quizserver.bank.questions import QUESTION_KEYS
from quizserver.grading import GRADERS, QUESTION_TYPES, REGISTRY, AnswerSpec, Status, Tolerance, grade, question_type
from quizserver.grading.qtypes import owners, type_keys


def test_the_registry_is_the_one_list_of_types() -> None:
    assert QUESTION_TYPES == tuple(REGISTRY) == ("numeric", "integer", "matrix", "single_choice", "multiple_choice")
    assert GRADERS == {name: t.grader for name, t in REGISTRY.items()}
    assert all(name == t.name for name, t in REGISTRY.items())


def test_the_validator_accepts_every_key_a_type_declares() -> None:
    assert set(type_keys()) <= set(QUESTION_KEYS)
    for qtype in REGISTRY.values():
        assert set(qtype.required) <= set(qtype.keys)
        assert not set(qtype.ignored) & set(qtype.keys)


@pytest.mark.parametrize(
    ("key", "types"),
    [
        ("choices", ["single_choice", "multiple_choice"]),
        ("tolerance", ["numeric", "matrix"]),
        ("partial", ["matrix", "multiple_choice"]),
        ("answer", ["numeric", "integer", "matrix"]),
    ],
)
def test_which_types_take_a_key(key: str, types: list[str]) -> None:
    assert owners(key) == types


def test_an_unknown_type_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known types: numeric, integer, matrix"):
        question_type("essay")
    with pytest.raises(ValueError, match="unknown question type 'essay'"):
        grade(AnswerSpec(type="essay"), 1.0, "1")


@pytest.mark.parametrize(
    ("qtype", "key", "tolerance", "hint", "shape"),
    [
        ("numeric", 2.5, Tolerance(), "a number", ()),
        ("numeric", 2.5, Tolerance(sigfig=3), "a number, 3 significant figures", ()),
        ("numeric", 2.5, Tolerance(decdig=1), "a number, 1 decimal place", ()),
        ("integer", 3, Tolerance(), "a whole number", ()),
        ("matrix", [1.0, 2.0, 3.0], Tolerance(), "a vector of 3 entries, e.g. [1, 2, 3]", (3,)),
        ("matrix", [[1.0, 2.0]] * 2, Tolerance(decdig=2),
         "a 2×2 matrix, e.g. [[1, 2], [3, 4]] or [1 2; 3 4], 2 decimal places", (2, 2)),
        ("single_choice", ["a"], Tolerance(), "one choice", ()),
        ("multiple_choice", ["a", "b"], Tolerance(), "every choice that applies", ()),
    ],
)
def test_each_type_describes_what_to_type(qtype: str, key: Any, tolerance: Tolerance, hint: str,
                                          shape: tuple[int, ...]) -> None:
    assert REGISTRY[qtype].hint(key, tolerance) == (hint, shape)


@pytest.mark.parametrize(
    ("qtype", "key", "problem"),
    [
        ("numeric", 1.5, None),
        ("numeric", [1.0, 2.0], "a numeric question needs a scalar answer, got shape 2"),
        ("integer", 3.0, None),
        ("integer", 2.5, "an integer question's answer must be whole"),
        ("matrix", [1.0, 2.0], None),
        ("matrix", [[1.0]], None),
        ("matrix", 4.0, "a matrix question needs a 1-D or 2-D answer, got a scalar"),
    ],
)
def test_each_type_checks_the_shape_of_its_key(qtype: str, key: Any, problem: str | None) -> None:
    assert REGISTRY[qtype].key_problem(np.asarray(key, dtype=float)) == problem


@pytest.mark.parametrize("qtype", ["numeric", "matrix"])
def test_grading_goes_through_the_registry(qtype: str) -> None:
    key = 2.0 if qtype == "numeric" else [2.0, 3.0]
    typed = "2" if qtype == "numeric" else "[2, 3]"
    assert grade(AnswerSpec(type=qtype), key, typed).status is Status.CORRECT
