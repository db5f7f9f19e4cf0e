"""Answer parsing and grading: pure functions, no Flask, no SQLAlchemy."""
from .alternatives import alternatives, any_of, first_key, is_any_of
from .format import format_answer, format_number
from .grade import Grader, diagnose, grade, within
from .parse import AnswerError, parse_array, parse_number
from .qtypes import GRADERS, QUESTION_TYPES, REGISTRY, QuestionType, question_type
from .types import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
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
    "QuestionType",
    "REGISTRY",
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
    "alternatives",
    "any_of",
    "first_key",
    "is_any_of",
    "question_type",
]
