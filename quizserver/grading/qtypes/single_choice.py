"""`type: single_choice`: exactly one marked choice is right; each wrong one explains itself."""
from __future__ import annotations

from typing import Any

from ..grade import grade_single_choice
from ..types import Tolerance
from .base import QuestionType


def _describe(key: Any, tolerance: Tolerance) -> str:
    return "one choice"


SINGLE_CHOICE = QuestionType(
    name="single_choice",
    grader=grade_single_choice,
    describe=_describe,
    keys=("choices",),
    required={"choices": ""},
    ignored={
        "partial": "partial has no effect on single_choice questions",
        "expressions": "expressions has no effect on single_choice questions",
    },
    refused_note="mark the right choices with correct: true",
    computed=False,
    input="choice",
)
