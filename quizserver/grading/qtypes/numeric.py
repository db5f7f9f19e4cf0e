"""`type: numeric`: one real number, within a tolerance."""
from __future__ import annotations

from typing import Any

from ..grade import grade_numeric
from ..types import Tolerance
from .base import QuestionType, with_rule


def _describe(key: Any, tolerance: Tolerance) -> str:
    return with_rule("a number", tolerance)


NUMERIC = QuestionType(
    name="numeric",
    grader=grade_numeric,
    describe=_describe,
    keys=("solution", "answer", "check", "tolerance", "expressions"),
    required={"solution": " (it computes a numeric answer)"},
    ignored={"partial": "partial has no effect on numeric questions"},
    key_ndims=(0,),
)
