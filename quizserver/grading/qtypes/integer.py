"""`type: integer`: one whole number, compared exactly."""
from __future__ import annotations

from typing import Any

from ..grade import grade_integer
from ..types import Tolerance
from .base import QuestionType


def _describe(key: Any, tolerance: Tolerance) -> str:
    return "a whole number"


INTEGER = QuestionType(
    name="integer",
    grader=grade_integer,
    describe=_describe,
    keys=("solution", "answer", "check", "expressions"),
    required={"solution": " (it computes a integer answer)"},
    ignored={
        "partial": "partial has no effect on integer questions",
        "tolerance": "tolerance has no effect on integer questions (integers are compared exactly)",
    },
    key_ndims=(0,),
    whole=True,
)
