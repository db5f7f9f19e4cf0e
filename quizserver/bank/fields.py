"""Reading one typed field of a bank (a whole number, text, a flag, a date, author code) and reporting
what is wrong with it: the building blocks every part of the validator uses. No Flask, no SQLAlchemy.
"""
from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from .loader import LineDict, LineList
from .model import Problem


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def found(value: Any) -> str:
    """How a wrong value is shown in a message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        shown = repr(list(value))
        return shown if len(shown) <= 40 else f"a list of {len(value)} items"
    if isinstance(value, datetime):
        return f"the date and time {value.isoformat()}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    return repr(value)


def key_line(mapping: Any, key: Any, default: int) -> int:
    return mapping.key_line(key) if isinstance(mapping, LineDict) else default


def item_line(items: Any, index: int, default: int) -> int:
    return items.item_line(index) if isinstance(items, LineList) else default


def mapping_line(mapping: Any, default: int) -> int:
    return getattr(mapping, "line", default)


def text_line(mapping: Any, key: str, offset: int, default: int) -> int:
    return mapping.text_line(key, offset) if isinstance(mapping, LineDict) else default


def stored_names(tree: ast.AST) -> set[str]:
    """Names a piece of code binds at its top level: assignments, loop targets, defs.

    Comprehensions, lambdas and function bodies have their own scope, so their names are skipped.
    """
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def nearest_key_hint(key: str, allowed: Sequence[str]) -> str:
    """", did you mean 'x'?" for a misspelt key, else the list of valid keys."""
    close = difflib.get_close_matches(key, allowed, n=1)
    return f", did you mean '{close[0]}'?" if close else f"; valid keys are {', '.join(allowed)}"


class FieldReader:
    """Collects problems for one file; each reader returns None (after reporting) when a value is unusable."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.question_id: str | None = None

    # -- reporting

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message, question=self.question_id))

    def warning(self, line: int, message: str) -> None:
        self.problems.append(
            Problem(self.path, line, message, question=self.question_id, severity="warning")
        )

    def error_count(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    def check_keys(self, mapping: dict, allowed: Sequence[str], required: Sequence[str], line: int) -> None:
        for key in mapping:
            if key in allowed:
                continue
            shown = str(key)
            self.error(key_line(mapping, key, line), f"unknown key '{shown}'{nearest_key_hint(shown, allowed)}")
        for key in required:
            if key not in mapping:
                self.error(mapping_line(mapping, line), f"missing required key '{key}'")

    # -- typed fields; each returns None (after reporting) when the value is unusable

    def whole_number(self, mapping: dict, key: str, low: int, high: int | None, line: int) -> int | None:
        value = mapping[key]
        where = key_line(mapping, key, line)
        if not is_int(value):
            self.error(where, f"{key} must be a whole number, got {found(value)}")
            return None
        if value < low or (high is not None and value > high):
            limits = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.error(where, f"{key} must be {limits}, got {value}")
            return None
        return value

    def number(self, mapping: dict, key: str, line: int, *, high: float | None = None) -> float | None:
        value = mapping[key]
        where = key_line(mapping, key, line)
        if not is_number(value):
            self.error(where, f"{key} must be a number, got {found(value)}")
            return None
        if value < 0 or (high is not None and value > high):
            limits = f"between 0 and {high:g}" if high is not None else "zero or more"
            self.error(where, f"{key} must be {limits}, got {value}")
            return None
        return float(value)

    def text(self, mapping: dict, key: str, line: int, *, required: bool) -> str | None:
        value = mapping[key]
        where = key_line(mapping, key, line)
        if not isinstance(value, str):
            self.error(where, f"{key} must be text, got {found(value)}")
            return None
        if required and not value.strip():
            self.error(where, f"{key} must not be empty")
            return None
        return value

    def flag(self, mapping: dict, key: str, line: int) -> bool | None:
        value = mapping[key]
        if not isinstance(value, bool):
            self.error(key_line(mapping, key, line), f"{key} must be true or false, got {found(value)}")
            return None
        return value

    def moment(self, mapping: dict, key: str, line: int) -> datetime | None:
        value = mapping[key]
        where = key_line(mapping, key, line)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                self.error(where, f"{key} must be a date and time such as 2026-05-01T23:59:00+02:00, "
                                  f"got {found(mapping[key])}")
                return None
        elif isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day, tzinfo=UTC)
            self.warning(where, f"{key} has no time of day; taken as {value.isoformat()}")
        elif not isinstance(value, datetime):
            self.error(where, f"{key} must be a date and time such as 2026-05-01T23:59:00+02:00, "
                              f"got {found(value)}")
            return None
        # a time without an offset is taken as UTC so that comparisons never mix naive and aware
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

    def code(
        self, mapping: dict, key: str, mode: str, line: int, label: str | None = None
    ) -> ast.AST | None:
        """Parse author code (mode "eval" for expressions, "exec" for blocks) and refuse imports."""
        label = label or key
        value = mapping[key]
        where = key_line(mapping, key, line)
        if not isinstance(value, str):
            self.error(where, f"{label} must be Python code written as text, got {found(value)}")
            return None
        if not value.strip():
            self.error(where, f"{label} must not be empty")
            return None
        try:
            # ast.parse only parses; nothing the author wrote is run here
            tree = ast.parse(value, filename=label, mode=mode)
        except SyntaxError as exc:
            offset = (exc.lineno or 1) - 1
            self.error(text_line(mapping, key, offset, where), f"syntax error in {label}: {exc.msg}")
            return None
        except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
            self.error(where, f"{label} cannot be read as Python: {exc}")
            return None
        imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        for node in imports:
            import_line = text_line(mapping, key, node.lineno - 1, where)
            self.error(import_line, "import statements are not allowed")
        return None if imports else tree

    def mapping_of(self, mapping: dict, key: str, example: str, line: int) -> dict | None:
        value = mapping[key]
        if not isinstance(value, dict):
            self.error(key_line(mapping, key, line), f"{key} must be a mapping such as {example}, "
                                                      f"got {found(value)}")
            return None
        return value

    # -- the bank
