"""Question banks: YAML text -> a validated Bank, or every problem found. No Flask, no SQLAlchemy.

Validation is static: the schema, the types, and the syntax and names of the author's code
(parsed with ast, never run). Running the code on sampled parameters happens elsewhere.

Its seams, one module each: files.py finds bank files and reads their YAML (with hints for syntax
errors), fields.py reads typed values, keys.py the structured keys (params, check, tolerance, choices,
answer), questions.py the bank, its questions and parts, and the rules of each question type, which
the types themselves declare (grading.qtypes).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .figures import attach_image_files
from .files import bank_paths, content_hash, parse_bank_text, read_bank_text
from .model import Bank, Problem
from .questions import BankValidator


def load_bank(text: str, path: str) -> tuple[Bank | None, list[Problem]]:
    """Parse and validate one bank. The Bank is None when any problem is an error."""
    path = str(path)
    data, problems = parse_bank_text(text, path)
    if problems:
        return None, problems
    return validate_bank(data, path, content_hash(text))


def load_bank_file(path: str | Path) -> tuple[Bank | None, list[Problem]]:
    """Read a UTF-8 file and load it; a file that cannot be read is a problem, not an exception."""
    text, problems = read_bank_text(path)
    if text is None:
        return None, problems
    # the image files its text names are read here, beside the file, never from a stored source
    return attach_image_files(*load_bank(text, str(path)), Path(path).parent)


def load_banks(paths: Sequence[str | Path]) -> tuple[list[Bank], list[Problem]]:
    """Load every bank under `paths`. The banks returned have distinct weeks: a later file that
    repeats a week is refused with an error naming the file that defined it first."""
    banks: list[Bank] = []
    problems: list[Problem] = []
    week_owner: dict[int, Bank] = {}
    for file_path in bank_paths(paths):
        bank, found = load_bank_file(file_path)
        problems.extend(found)
        if bank is None:
            continue
        first = week_owner.get(bank.week)
        if first is not None:
            problems.append(
                Problem(
                    bank.path,
                    _bank_line(bank, "week"),
                    f"week {bank.week} is also defined in {first.path}:{_bank_line(first, 'week')}",
                )
            )
            continue
        week_owner[bank.week] = bank
        banks.append(bank)
    return banks, problems


def _bank_line(bank: Bank, key: str) -> int:
    return dict(bank.lines).get(key, 1)


def validate_bank(data: Any, path: str, source_hash: str) -> tuple[Bank | None, list[Problem]]:
    """Turn parsed YAML (from loader.parse_yaml) into a Bank, collecting every problem.

    The Bank is None on any error. Line numbers and repeated keys come from the LineDicts;
    plain dicts are accepted too, with every problem on line 1.
    """
    validator = BankValidator(str(path))
    bank = validator.bank(data, source_hash)
    problems = sorted(validator.problems, key=lambda p: p.line)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return bank, problems


__all__ = [
    "bank_paths",
    "content_hash",
    "load_bank",
    "load_bank_file",
    "load_banks",
    "validate_bank",
]
