"""Typed values shared by the parser, the grader and their callers. No Flask, no SQLAlchemy."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

DEFAULT_RTOL = 1e-2
DEFAULT_ATOL = 1e-6

QUESTION_TYPES = ("numeric", "integer", "matrix", "single_choice", "multiple_choice")


class Status(StrEnum):
    CORRECT = "correct"
    PARTIAL = "partial"
    INCORRECT = "incorrect"
    INVALID = "invalid"


@dataclass(frozen=True)
class Tolerance:
    """An entry is right when |answer - key| <= atol + rtol * |key|."""

    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL


@dataclass(frozen=True)
class ChoiceOption:
    id: str
    correct: bool
    feedback: str = ""


@dataclass(frozen=True)
class AnswerSpec:
    """Everything the grader needs to know about a question, and nothing else."""

    type: str  # one of QUESTION_TYPES
    tolerance: Tolerance = field(default_factory=Tolerance)
    partial: bool = False  # arrays: fraction of entries right; multiple choice: fraction of marks
    expressions: bool = True  # allow arithmetic such as 2^-3, exp(-1), sqrt(2)/2
    choices: tuple[ChoiceOption, ...] = ()


@dataclass(frozen=True)
class Grade:
    """The outcome of grading one raw answer.

    status INVALID means the answer could not be read; it must not use up an attempt.
    value is the parsed answer in JSON-able form (float, nested lists, or a list of choice ids),
    None when invalid. mistake names a recognised mistake class: "shape", "transposed",
    "sign", "factor", "rounding", or None.
    """

    status: Status
    score: float
    message: str
    value: Any = None
    mistake: str | None = None

    @property
    def counts_as_attempt(self) -> bool:
        return self.status is not Status.INVALID
