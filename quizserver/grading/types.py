"""Typed values shared by the parser, the grader and their callers. No Flask, no SQLAlchemy."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

DEFAULT_RTOL = 1e-2
DEFAULT_ATOL = 1e-6
# half a unit in the last digit asked for, and a little more, so a key rounded to that digit is always inside
DIGIT_SLACK = 0.51
MAX_DIGITS = 12


class Status(StrEnum):
    CORRECT = "correct"
    PARTIAL = "partial"
    INCORRECT = "incorrect"
    INVALID = "invalid"


@dataclass(frozen=True)
class Tolerance:
    """When an entry is right.

    By default (relabs) |answer - key| <= atol + rtol * |key|. With `sigfig` d the answer must agree with
    the key to d significant figures, with `decdig` d to d digits after the decimal point (PrairieLearn's
    rules): |answer - key| < 0.51 * 10^(floor(log10|key|) - d + 1), or < 0.51 * 10^-d; a key of 0 counts
    as if its first significant digit were in the units place.
    """

    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    sigfig: int | None = None
    decdig: int | None = None

    @property
    def mode(self) -> str:
        """"sigfig", "decdig" or "relabs"."""
        if self.sigfig is not None:
            return "sigfig"
        if self.decdig is not None:
            return "decdig"
        return "relabs"

    @property
    def by_digits(self) -> bool:
        return self.mode != "relabs"

    def rule(self) -> str:
        """The rule in words, as the answer hint shows it: "3 significant figures", "2 decimal places"."""
        if self.sigfig is not None:
            return f"{self.sigfig} significant {'figure' if self.sigfig == 1 else 'figures'}"
        if self.decdig is not None:
            return f"{self.decdig} decimal {'place' if self.decdig == 1 else 'places'}"
        return ""

    def settings(self) -> str:
        """The tolerance as an author wrote it, for messages about the bank."""
        if self.sigfig is not None:
            return f"sigfig={self.sigfig}"
        if self.decdig is not None:
            return f"decdig={self.decdig}"
        return f"rtol={self.rtol:g}, atol={self.atol:g}"


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
