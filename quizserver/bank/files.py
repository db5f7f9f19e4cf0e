"""Finding bank files and reading them as YAML: the file-level half of loading a bank.

A file that cannot be read, is not UTF-8 or is not YAML becomes a Problem with the line and a hint for
the two syntax errors authors meet most, never an exception. No Flask, no SQLAlchemy.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from .loader import parse_yaml
from .model import Problem


def content_hash(text: str) -> str:
    """The bank's version: sha256 hex digest of its UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()



def parse_bank_text(text: str, path: str) -> tuple[Any, list[Problem]]:
    """The YAML data of a bank's text, or the problem that stops it being read (then the data is None)."""
    try:
        return parse_yaml(text).data, []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, None)
        message = f"YAML syntax error: {_yaml_message(exc)}{_yaml_hint(exc, text)}"
        return None, [Problem(path, line, message, column=column)]
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"the file contains a control character (#x{code:04x}) that YAML does not allow"
        return None, [Problem(path, line, message)]
    except yaml.YAMLError as exc:
        return None, [Problem(path, 1, f"YAML error: {exc}")]
    except RecursionError:
        return None, [Problem(path, 1, "the YAML is nested too deeply")]


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or exc.context or "invalid YAML"
    # "but found another document" only makes sense after its context
    return f"{exc.context}, {problem}" if exc.context and problem.startswith("but ") else problem


def _yaml_hint(exc: yaml.MarkedYAMLError, text: str) -> str:
    """What to do about the two syntax errors authors meet most."""
    if (exc.problem or "").startswith("mapping values are not allowed"):
        return " (text containing ': ' must be quoted or written as a | block)"
    mark = exc.problem_mark
    source_lines = text.split("\n")
    if mark is None or mark.line >= len(source_lines):
        return ""
    at_mark = source_lines[mark.line][mark.column : mark.column + 1]
    return " (indent with spaces, not tabs)" if at_mark == "\t" else ""


def read_bank_text(path: str | Path) -> tuple[str | None, list[Problem]]:
    """A file's UTF-8 text; a file that cannot be read is a problem, not an exception."""
    shown = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return None, [Problem(shown, 1, f"cannot read the file: {exc.strerror or exc}")]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(shown, line, f"the file is not UTF-8 text (byte {raw[exc.start]:#04x})")]


def bank_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given; a folder stands for its *.yaml and *.yml files, sorted by name. No repeats."""
    found: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        given = Path(given)
        if given.is_dir():
            # dotfiles are editor lock and backup files, not banks
            candidates = sorted(
                p for p in given.iterdir()
                if p.suffix in (".yaml", ".yml") and not p.name.startswith(".") and p.is_file()
            )
        else:
            candidates = [given]
        for candidate in candidates:
            key = candidate.resolve()
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found


