"""The question types, one module each. Adding a type is one module here, its entry in REGISTRY, and
its tests: the validator, `quiz check`, grading and the quiz page all look types up here."""
from __future__ import annotations

from .base import Grader, QuestionType, shape_text, with_rule
from .integer import INTEGER
from .matrix import MATRIX
from .multiple_choice import MULTIPLE_CHOICE
from .numeric import NUMERIC
from .single_choice import SINGLE_CHOICE

REGISTRY: dict[str, QuestionType] = {t.name: t for t in (NUMERIC, INTEGER, MATRIX, SINGLE_CHOICE, MULTIPLE_CHOICE)}
QUESTION_TYPES: tuple[str, ...] = tuple(REGISTRY)
GRADERS: dict[str, Grader] = {name: t.grader for name, t in REGISTRY.items()}


def question_type(name: str) -> QuestionType:
    """The type called `name`; ValueError naming the known ones otherwise."""
    found = REGISTRY.get(name)
    if found is None:
        raise ValueError(f"unknown question type {name!r}; known types: {', '.join(REGISTRY)}")
    return found


def type_keys() -> tuple[str, ...]:
    """Every key some type takes, in the order the types list them."""
    return tuple(dict.fromkeys(key for t in REGISTRY.values() for key in t.keys))


def owners(key: str) -> list[str]:
    """The types that take `key`."""
    return [name for name, t in REGISTRY.items() if key in t.keys]


__all__ = [
    "GRADERS",
    "QUESTION_TYPES",
    "REGISTRY",
    "Grader",
    "QuestionType",
    "owners",
    "question_type",
    "shape_text",
    "type_keys",
    "with_rule",
]
