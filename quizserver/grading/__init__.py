"""Answer parsing and grading: pure functions, no Flask, no SQLAlchemy."""
from .types import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    QUESTION_TYPES,
    AnswerSpec,
    ChoiceOption,
    Grade,
    Status,
    Tolerance,
)

__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "QUESTION_TYPES",
    "AnswerSpec",
    "ChoiceOption",
    "Grade",
    "Status",
    "Tolerance",
]
