"""Answer parsing and grading: pure functions, no Flask, no SQLAlchemy."""
from .format import format_answer, format_number
from .grade import GRADERS, Grader, diagnose, grade, within
from .parse import AnswerError, parse_array, parse_number
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
    "GRADERS",
    "QUESTION_TYPES",
    "AnswerError",
    "AnswerSpec",
    "ChoiceOption",
    "Grade",
    "Grader",
    "Status",
    "Tolerance",
    "diagnose",
    "format_answer",
    "format_number",
    "grade",
    "parse_array",
    "parse_number",
    "within",
]
