"""`type: multiple_choice`: every marked choice, and no other; `partial: true` gives credit per choice."""
from __future__ import annotations

from typing import Any

from ..grade import grade_multiple_choice
from ..types import Tolerance
from .base import QuestionType


def _describe(key: Any, tolerance: Tolerance) -> str:
    return "every choice that applies"


MULTIPLE_CHOICE = QuestionType(
    name="multiple_choice",
    grader=grade_multiple_choice,
    describe=_describe,
    keys=("choices", "partial"),
    required={"choices": ""},
    ignored={"expressions": "expressions has no effect on multiple_choice questions"},
    refused_note="mark the right choices with correct: true",
    computed=False,
    input="choice",
)
