"""What a question type is: one unit that owns its YAML keys, the shape of its key, its grader, its input
hint and how its input is shown. Pure: no Flask, no SQLAlchemy.

The bank validator reads `keys`, `required`, `ignored` and `refused_note`; `quiz check` and sync call
`key_problem` on every variant's key; grading calls `grader`; the quiz page and the instructor preview
call `hint` and read `input`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..types import AnswerSpec, Grade, Tolerance

Grader = Callable[[AnswerSpec, Any, str], Grade]


def shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) if shape else "a scalar"


def with_rule(hint: str, tolerance: Tolerance) -> str:
    """The hint with the tolerance's digit rule, when it has one: "a number, 3 significant figures"."""
    return f"{hint}, {tolerance.rule()}" if tolerance.by_digits else hint


@dataclass(frozen=True)
class QuestionType:
    """One question type.

    keys: the question keys this type takes beyond the ones every question has (QUESTION_KEYS).
    required: keys it cannot do without, each with what the message adds, e.g. " (it computes ...)".
    ignored: keys it accepts with a warning that they do nothing, each with the warning.
    refused_note: said after "<type> questions take no <key>" for a key another type owns.
    computed: the key comes from the author's solution (not from marked choices).
    key_ndims: the dimensions a computed key may have (0: a number, 1: a vector, 2: a matrix).
    whole: the key must be a whole number.
    input: how the page asks for the answer: "line" (one line), "grid" (rows of numbers), "choice".
    """

    name: str
    grader: Grader
    describe: Callable[[Any, Tolerance], str]
    keys: tuple[str, ...] = ()
    required: Mapping[str, str] = field(default_factory=dict)
    ignored: Mapping[str, str] = field(default_factory=dict)
    refused_note: str = ""
    computed: bool = True
    key_ndims: tuple[int, ...] = (0,)
    whole: bool = False
    input: str = "line"

    def key_problem(self, key: np.ndarray) -> str | None:
        """What is wrong with one computed key's shape or value for this type, or None."""
        if key.ndim not in self.key_ndims:
            if self.key_ndims == (0,):
                return f"a {self.name} question needs a scalar answer, got shape {shape_text(key.shape)}"
            return f"a {self.name} question needs a 1-D or 2-D answer, got {shape_text(key.shape)}"
        if self.whole and not np.all(key == np.round(key)):
            return f"an {self.name} question's answer must be whole"
        return None

    def hint(self, key: Any, tolerance: Tolerance) -> tuple[str, tuple[int, ...]]:
        """What the student is asked to type, for this variant's key, and the key's shape."""
        shape = tuple(np.shape(key)) if self.computed else ()
        return self.describe(key, tolerance), shape
