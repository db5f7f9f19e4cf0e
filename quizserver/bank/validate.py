"""Question banks: YAML text -> a validated Bank, or every problem found. No Flask, no SQLAlchemy.

Validation is static: the schema, the types, and the syntax and names of the author's code
(parsed with ast, never run). Running the code on sampled parameters happens elsewhere.
"""
from __future__ import annotations

import ast
import difflib
import hashlib
import keyword
import math
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from quizserver.bank.loader import LineDict, LineList, parse_yaml
from quizserver.bank.model import (
    FORMAT_VERSIONS,
    PARAM_KINDS,
    Bank,
    Check,
    Choice,
    ParamSpec,
    Problem,
    Question,
)
from quizserver.grading import QUESTION_TYPES, Tolerance

BANK_KEYS = ("version", "week", "title", "opens", "closes", "variants", "questions")
QUESTION_KEYS = (
    "id", "type", "points", "title", "text", "params", "require", "solution", "check", "tolerance",
    "partial", "expressions", "max_attempts", "penalty", "explanation", "choices", "variants",
)
CHOICE_KEYS = ("text", "correct", "feedback")
PARAM_KEYS = (*PARAM_KINDS, "shape", "round")
CHECK_KEYS = ("gradient_of", "wrt", "equals", "rtol", "atol")
TOLERANCE_KEYS = ("rtol", "atol")
CHOICE_TYPES = ("single_choice", "multiple_choice")
# names the author code already has, so a parameter must not hide them
RESERVED_PARAM_NAMES = ("np", "math", "answer")

QUESTION_ID = re.compile(r"[a-z0-9][a-z0-9\-_]*")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
MAX_WEEK = 99
MAX_POINTS = 100
MAX_VARIANTS = 2000  # a pool larger than this only slows sync down
MAX_ROUND = 12


def content_hash(text: str) -> str:
    """The bank's version: sha256 hex digest of its UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_bank(text: str, path: str) -> tuple[Bank | None, list[Problem]]:
    """Parse and validate one bank. The Bank is None when any problem is an error."""
    path = str(path)
    try:
        parsed = parse_yaml(text)
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
    return validate_bank(parsed.data, path, content_hash(text))


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


def load_bank_file(path: str | Path) -> tuple[Bank | None, list[Problem]]:
    """Read a UTF-8 file and load it; a file that cannot be read is a problem, not an exception."""
    shown = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return None, [Problem(shown, 1, f"cannot read the file: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(shown, line, f"the file is not UTF-8 text (byte {raw[exc.start]:#04x})")]
    return load_bank(text, shown)


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
    validator = _BankValidator(str(path))
    bank = validator.bank(data, source_hash)
    problems = sorted(validator.problems, key=lambda p: p.line)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return bank, problems


# ---------------------------------------------------------------- helpers


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _found(value: Any) -> str:
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


def _key_line(mapping: Any, key: Any, default: int) -> int:
    return mapping.key_line(key) if isinstance(mapping, LineDict) else default


def _item_line(items: Any, index: int, default: int) -> int:
    return items.item_line(index) if isinstance(items, LineList) else default


def _mapping_line(mapping: Any, default: int) -> int:
    return getattr(mapping, "line", default)


def _text_line(mapping: Any, key: str, offset: int, default: int) -> int:
    return mapping.text_line(key, offset) if isinstance(mapping, LineDict) else default


def _stored_names(tree: ast.AST) -> set[str]:
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


# ---------------------------------------------------------------- the validator


class _BankValidator:
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
            close = difflib.get_close_matches(shown, allowed, n=1)
            hint = f", did you mean '{close[0]}'?" if close else f"; valid keys are {', '.join(allowed)}"
            self.error(_key_line(mapping, key, line), f"unknown key '{shown}'{hint}")
        for key in required:
            if key not in mapping:
                self.error(_mapping_line(mapping, line), f"missing required key '{key}'")

    # -- typed fields; each returns None (after reporting) when the value is unusable

    def whole_number(self, mapping: dict, key: str, low: int, high: int | None, line: int) -> int | None:
        value = mapping[key]
        where = _key_line(mapping, key, line)
        if not _is_int(value):
            self.error(where, f"{key} must be a whole number, got {_found(value)}")
            return None
        if value < low or (high is not None and value > high):
            limits = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.error(where, f"{key} must be {limits}, got {value}")
            return None
        return value

    def number(self, mapping: dict, key: str, line: int, *, high: float | None = None) -> float | None:
        value = mapping[key]
        where = _key_line(mapping, key, line)
        if not _is_number(value):
            self.error(where, f"{key} must be a number, got {_found(value)}")
            return None
        if value < 0 or (high is not None and value > high):
            limits = f"between 0 and {high:g}" if high is not None else "zero or more"
            self.error(where, f"{key} must be {limits}, got {value}")
            return None
        return float(value)

    def text(self, mapping: dict, key: str, line: int, *, required: bool) -> str | None:
        value = mapping[key]
        where = _key_line(mapping, key, line)
        if not isinstance(value, str):
            self.error(where, f"{key} must be text, got {_found(value)}")
            return None
        if required and not value.strip():
            self.error(where, f"{key} must not be empty")
            return None
        return value

    def flag(self, mapping: dict, key: str, line: int) -> bool | None:
        value = mapping[key]
        if not isinstance(value, bool):
            self.error(_key_line(mapping, key, line), f"{key} must be true or false, got {_found(value)}")
            return None
        return value

    def moment(self, mapping: dict, key: str, line: int) -> datetime | None:
        value = mapping[key]
        where = _key_line(mapping, key, line)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                self.error(where, f"{key} must be a date and time such as 2026-05-01T23:59:00+02:00, "
                                  f"got {_found(mapping[key])}")
                return None
        elif isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day, tzinfo=UTC)
            self.warning(where, f"{key} has no time of day; taken as {value.isoformat()}")
        elif not isinstance(value, datetime):
            self.error(where, f"{key} must be a date and time such as 2026-05-01T23:59:00+02:00, "
                              f"got {_found(value)}")
            return None
        # a time without an offset is taken as UTC so that comparisons never mix naive and aware
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

    def code(
        self, mapping: dict, key: str, mode: str, line: int, label: str | None = None
    ) -> ast.AST | None:
        """Parse author code (mode "eval" for expressions, "exec" for blocks) and refuse imports."""
        label = label or key
        value = mapping[key]
        where = _key_line(mapping, key, line)
        if not isinstance(value, str):
            self.error(where, f"{label} must be Python code written as text, got {_found(value)}")
            return None
        if not value.strip():
            self.error(where, f"{label} must not be empty")
            return None
        try:
            # ast.parse only parses; nothing the author wrote is run here
            tree = ast.parse(value, filename=label, mode=mode)
        except SyntaxError as exc:
            offset = (exc.lineno or 1) - 1
            self.error(_text_line(mapping, key, offset, where), f"syntax error in {label}: {exc.msg}")
            return None
        except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
            self.error(where, f"{label} cannot be read as Python: {exc}")
            return None
        imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        for node in imports:
            import_line = _text_line(mapping, key, node.lineno - 1, where)
            self.error(import_line, "import statements are not allowed")
        return None if imports else tree

    def mapping_of(self, mapping: dict, key: str, example: str, line: int) -> dict | None:
        value = mapping[key]
        if not isinstance(value, dict):
            self.error(_key_line(mapping, key, line), f"{key} must be a mapping such as {example}, "
                                                      f"got {_found(value)}")
            return None
        return value

    # -- the bank

    def bank(self, data: Any, source_hash: str) -> Bank | None:
        if data is None:
            self.error(1, "the file is empty; a bank starts with 'version: 1'")
            return None
        if not isinstance(data, dict):
            self.error(
                _mapping_line(data, 1),
                f"a bank must be a mapping with version, week, title and questions, got {_found(data)}",
            )
            return None

        self.check_keys(data, BANK_KEYS, ("version", "week", "title", "questions"), 1)
        version = week = title = opens = closes = None
        if "version" in data:
            version = data["version"]
            if not _is_int(version) or version not in FORMAT_VERSIONS:
                supported = ", ".join(str(v) for v in FORMAT_VERSIONS)
                where = _key_line(data, "version", 1)
                self.error(where, f"version must be {supported}, got {_found(version)}")
                version = None
        if "week" in data:
            week = self.whole_number(data, "week", 1, MAX_WEEK, 1)
        if "title" in data:
            title = self.text(data, "title", 1, required=True)
        if "opens" in data:
            opens = self.moment(data, "opens", 1)
        if "closes" in data:
            closes = self.moment(data, "closes", 1)
        variants = self.whole_number(data, "variants", 1, MAX_VARIANTS, 1) if "variants" in data else None
        if opens is not None and closes is not None and closes <= opens:
            self.error(_key_line(data, "closes", 1),
                       f"closes ({closes.isoformat()}) must be after opens ({opens.isoformat()})")

        questions = self.questions(data) if "questions" in data else []
        self.duplicate_keys(data)

        if self.error_count() or version is None or week is None or title is None or questions is None:
            return None
        lines = tuple((k, line) for k, line in getattr(data, "key_lines", {}).items() if isinstance(k, str))
        return Bank(
            week=week,
            title=title,
            questions=tuple(questions),
            path=self.path,
            content_hash=source_hash,
            format_version=version,
            opens=opens,
            closes=closes,
            variants=variants,
            lines=lines,
        )

    def duplicate_keys(self, data: dict) -> None:
        """Report every key repeated in any mapping of the file, with the question it is in."""
        seen: set[int] = set()  # anchors and aliases can share, or even contain, a mapping

        def visit(value: Any, question: str | None) -> None:
            if id(value) in seen:
                return
            seen.add(id(value))
            self.question_id = question
            report(value)
            if isinstance(value, (dict, list)):
                for child in value.values() if isinstance(value, dict) else value:
                    visit(child, question)

        def report(mapping: Any) -> None:
            for duplicate in getattr(mapping, "duplicate_keys", ()):
                self.error(duplicate.line, f"duplicate key '{duplicate.key}'; it was already given on "
                                           f"line {duplicate.first_line} and YAML keeps only the last")

        seen.add(id(data))
        report(data)
        for key, value in data.items():
            if key == "questions" and isinstance(value, list):
                seen.add(id(value))
                for item in value:
                    item_id = item.get("id") if isinstance(item, dict) else None
                    visit(item, item_id if isinstance(item_id, str) else None)
            else:
                visit(value, None)
        self.question_id = None

    def questions(self, data: dict) -> list[Question] | None:
        items = data["questions"]
        line = _key_line(data, "questions", 1)
        if not isinstance(items, list):
            self.error(line, f"questions must be a list of questions, got {_found(items)}")
            return None
        if not items:
            self.error(line, "questions must list at least one question")
            return None
        built: list[Question] = []
        first_seen: dict[str, int] = {}
        for index, item in enumerate(items):
            item_line = _item_line(items, index, line)
            question = self.question(item, index + 1, item_line, first_seen)
            if question is not None:
                built.append(question)
        self.question_id = None
        return built if len(built) == len(items) else None

    # -- one question

    def question(self, item: Any, number: int, line: int, first_seen: dict[str, int]) -> Question | None:
        self.question_id = None
        if not isinstance(item, dict):
            self.error(line, f"question {number} must be a mapping with id, type, points and text, "
                             f"got {_found(item)}")
            return None
        errors_before = self.error_count()

        qid = item.get("id")
        if isinstance(qid, str):
            self.question_id = qid
        if "id" in item:
            qid = self.question_ident(item, line, first_seen)
        self.check_keys(item, QUESTION_KEYS, ("id", "type", "points", "text"), line)

        qtype = self.question_type(item, line) if "type" in item else None
        is_choice = qtype in CHOICE_TYPES
        fields: dict[str, Any] = {}
        if "points" in item:
            fields["points"] = self.whole_number(item, "points", 1, MAX_POINTS, line)
        for key in ("text", "title", "explanation"):
            if key in item:
                fields[key] = self.text(item, key, line, required=key == "text")
        for key in ("partial", "expressions"):
            if key in item:
                fields[key] = self.flag(item, key, line)
        if "max_attempts" in item:
            fields["max_attempts"] = self.whole_number(item, "max_attempts", 1, None, line)
        if "penalty" in item:
            fields["penalty"] = self.number(item, "penalty", line, high=1.0)
        if "variants" in item:
            fields["variants"] = self.whole_number(item, "variants", 1, MAX_VARIANTS, line)

        params = self.params(item, line) if "params" in item else ()
        written = item.get("params")
        # every name written counts, even one whose spec is wrong, so its uses are not reported twice
        param_names = [k for k in written if isinstance(k, str)] if isinstance(written, dict) else []
        if "require" in item and self.code(item, "require", "eval", line) is not None:
            fields["require"] = item["require"]

        solution_names: set[str] | None = set()
        # on choice questions these keys are refused by type_rules; their contents do not matter
        if "solution" in item and not is_choice:
            tree = self.code(item, "solution", "exec", line)
            solution_names = None
            if tree is not None:
                solution_names = _stored_names(tree)
                fields["solution"] = item["solution"]
                if "answer" not in solution_names:
                    self.error(_key_line(item, "solution", line),
                               "solution never assigns answer; end it with a line such as answer = ...")
        if "check" in item and not is_choice:
            fields["check"] = self.check(item, param_names, line)
        if "tolerance" in item and not is_choice:
            fields["tolerance"] = self.tolerance(item, line)
        if "choices" in item and (qtype is None or is_choice):
            fields["choices"] = self.choices(item, qtype, line)

        self.type_rules(item, qtype, line)
        if solution_names is not None:
            # names from a solution that failed to parse are unknown; no point guessing
            self.placeholders(item, set(param_names) | solution_names, line)

        # a missing or malformed id was reported above, so `qid is None` adds no new case
        if self.error_count() > errors_before or qtype is None or qid is None:
            return None
        values = {k: v for k, v in fields.items() if v is not None}
        return Question(
            id=qid,
            type=qtype,
            line=line,
            params=params or (),
            lines=tuple((k, _key_line(item, k, line)) for k in item if isinstance(k, str)),
            **values,
        )

    def question_ident(self, item: dict, line: int, first_seen: dict[str, int]) -> str | None:
        qid = item["id"]
        where = _key_line(item, "id", line)
        if not isinstance(qid, str):
            self.error(where, f"id must be text such as mlp-backprop, got {_found(qid)}")
            return None
        if not QUESTION_ID.fullmatch(qid):
            self.error(where, f"id {qid!r} may use only lowercase letters, digits, '-' and '_', "
                              "and must start with a letter or digit")
            return None
        if qid in first_seen:
            self.error(where, f"duplicate question id '{qid}'; already used on line {first_seen[qid]}")
            return None
        first_seen[qid] = where
        return qid

    def question_type(self, item: dict, line: int) -> str | None:
        qtype = item["type"]
        where = _key_line(item, "type", line)
        if not isinstance(qtype, str):
            self.error(where, f"type must be one of {', '.join(QUESTION_TYPES)}, got {_found(qtype)}")
            return None
        if qtype not in QUESTION_TYPES:
            close = difflib.get_close_matches(qtype, QUESTION_TYPES, n=1)
            valid = ", ".join(QUESTION_TYPES)
            hint = f", did you mean '{close[0]}'?" if close else f"; valid types are {valid}"
            self.error(where, f"unknown type '{qtype}'{hint}")
            return None
        return qtype

    def type_rules(self, item: dict, qtype: str | None, line: int) -> None:
        """Keys a question of this type needs, must not have, or has to no effect."""
        if qtype is None:
            return
        if qtype in CHOICE_TYPES:
            for key in ("solution", "tolerance", "check"):
                if key in item:
                    self.error(_key_line(item, key, line), f"{qtype} questions take no {key}; "
                                                           "mark the right choices with correct: true")
            if "choices" not in item:
                self.error(line, "missing required key 'choices'")
            if "expressions" in item:
                self.warning(_key_line(item, "expressions", line),
                             f"expressions has no effect on {qtype} questions")
        else:
            if "solution" not in item:
                self.error(line, f"missing required key 'solution' (it computes a {qtype} answer)")
            if "choices" in item:
                self.error(_key_line(item, "choices", line),
                           "choices are only for single_choice and multiple_choice questions")
        if "partial" in item and qtype not in ("matrix", "multiple_choice"):
            self.warning(_key_line(item, "partial", line), f"partial has no effect on {qtype} questions")
        if "tolerance" in item and qtype == "integer":
            self.warning(_key_line(item, "tolerance", line),
                         "tolerance has no effect on integer questions (integers are compared exactly)")

    def placeholders(self, item: dict, known: set[str], line: int) -> None:
        for key in ("text", "explanation"):
            value = item.get(key)
            if not isinstance(value, str):
                continue
            for match in PLACEHOLDER.finditer(value):
                name = match.group(1)
                if name not in known:
                    offset = value.count("\n", 0, match.start())
                    self.error(_text_line(item, key, offset, line), f"unknown name '{name}' in {key}")

    # -- params

    def params(self, item: dict, line: int) -> tuple[ParamSpec, ...] | None:
        specs = self.mapping_of(item, "params", "{x: {normal: [0, 1]}}", line)
        if specs is None:
            return None
        built: list[ParamSpec] = []
        ok = True
        for name, spec in specs.items():
            param = self.param(name, spec, _key_line(specs, name, line))
            ok = ok and param is not None
            if param is not None:
                built.append(param)
        return tuple(built) if ok else None

    def param(self, name: Any, spec: Any, line: int) -> ParamSpec | None:
        errors_before = self.error_count()
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            self.error(line, f"parameter name {_found(name)} must be a Python name such as x or W1")
        elif name.startswith("_"):
            self.error(line, f"parameter name '{name}' must not start with '_'")
        elif name in RESERVED_PARAM_NAMES:
            self.error(line, f"parameter name '{name}' is reserved; choose another name")
        if not isinstance(spec, dict):
            example = "{normal: [0, 1]}"
            self.error(line, f"parameter '{name}' must be a mapping such as {example}, got {_found(spec)}")
            return None
        self.check_keys(spec, PARAM_KEYS, (), line)
        kinds = [k for k in PARAM_KINDS if k in spec]
        if not kinds:
            self.error(line, f"parameter '{name}' needs one of {', '.join(PARAM_KINDS)}")
            return None
        if len(kinds) > 1:
            self.error(line, f"parameter '{name}' has {' and '.join(kinds)}; give exactly one of them")
            return None
        kind = kinds[0]
        args = self.param_args(name, kind, spec[kind], _key_line(spec, kind, line))
        shape = None
        if "shape" in spec:
            shape = self.param_shape(name, spec["shape"], _key_line(spec, "shape", line))
        rounding = self.whole_number(spec, "round", 0, MAX_ROUND, line) if "round" in spec else None
        if self.error_count() > errors_before or args is None:
            return None
        return ParamSpec(name=name, kind=kind, args=args, shape=shape, round=rounding, line=line)

    def param_args(self, name: Any, kind: str, value: Any, line: int) -> tuple[Any, ...] | None:
        if kind == "choice":
            if not isinstance(value, list) or not value:
                self.error(line, f"choice for '{name}' must be a list of numbers, got {_found(value)}")
                return None
            wrong = [v for v in value if not _is_number(v)]
            if wrong:
                self.error(line, f"choice for '{name}' must list only numbers, got {_found(wrong[0])}")
                return None
            return tuple(value)
        usage = {"uniform": "[low, high]", "normal": "[mean, sigma]", "randint": "[low, high]"}[kind]
        is_wanted = _is_int if kind == "randint" else _is_number
        wanted = "whole numbers" if kind == "randint" else "numbers"
        if not isinstance(value, list) or len(value) != 2 or not all(is_wanted(v) for v in value):
            self.error(line, f"{kind} for '{name}' must be two {wanted} {usage}, got {_found(value)}")
            return None
        first, second = value
        if kind == "normal" and second < 0:
            self.error(line, f"normal for '{name}' has sigma {second}; sigma must be zero or more")
            return None
        if kind != "normal" and first > second:
            self.error(line, f"{kind} for '{name}' has low {first} above high {second}")
            return None
        return (first, second)

    def param_shape(self, name: Any, value: Any, line: int) -> tuple[int, ...] | None:
        dims = [value] if _is_int(value) else value
        if not isinstance(dims, list) or not dims or not all(_is_int(d) and d > 0 for d in dims):
            self.error(line, f"shape for '{name}' must be a positive whole number or a list of them, "
                             f"got {_found(value)}")
            return None
        return tuple(dims)

    # -- check, tolerance, choices

    def check(self, item: dict, param_names: list[str], line: int) -> Check | None:
        spec = self.mapping_of(item, "check", "{equals: EXPR} or {gradient_of: EXPR, wrt: NAME}", line)
        if spec is None:
            return None
        where = _key_line(item, "check", line)
        errors_before = self.error_count()
        self.check_keys(spec, CHECK_KEYS, (), where)
        has_gradient = "gradient_of" in spec or "wrt" in spec
        if has_gradient and "equals" in spec:
            self.error(where, "check takes either gradient_of with wrt, or equals, not both")
        elif not has_gradient and "equals" not in spec:
            self.error(where, "check needs gradient_of with wrt, or equals")
        elif has_gradient:
            if "gradient_of" not in spec:
                self.error(where, "missing required key 'gradient_of' (the expression to differentiate)")
            if "wrt" not in spec:
                self.error(where, "missing required key 'wrt' (the parameter to differentiate by)")
        for key in ("gradient_of", "equals"):
            if key in spec:
                self.code(spec, key, "eval", where, label=f"check {key}")
        if "wrt" in spec:
            wrt = spec["wrt"]
            wrt_line = _key_line(spec, "wrt", where)
            if not isinstance(wrt, str):
                self.error(wrt_line, f"wrt must be a parameter name, got {_found(wrt)}")
            elif wrt not in param_names:
                known = ", ".join(param_names) if param_names else "none"
                self.error(wrt_line, f"wrt '{wrt}' is not a parameter of this question (those are: {known})")
        tolerances = {key: self.number(spec, key, where) for key in ("rtol", "atol") if key in spec}
        if self.error_count() > errors_before:
            return None
        return Check(
            gradient_of=spec.get("gradient_of"),
            wrt=spec.get("wrt"),
            equals=spec.get("equals"),
            line=where,
            **{k: v for k, v in tolerances.items() if v is not None},
        )

    def tolerance(self, item: dict, line: int) -> Tolerance | None:
        spec = self.mapping_of(item, "tolerance", "{rtol: 0.01, atol: 1.0e-6}", line)
        if spec is None:
            return None
        where = _key_line(item, "tolerance", line)
        errors_before = self.error_count()
        self.check_keys(spec, TOLERANCE_KEYS, (), where)
        given = {key: self.number(spec, key, where) for key in TOLERANCE_KEYS if key in spec}
        if self.error_count() > errors_before:
            return None
        numbers = {key: value for key, value in given.items() if value is not None}  # number() reported any None
        tolerance = Tolerance(**numbers)
        if not numbers or (tolerance.rtol == 0 and tolerance.atol == 0):
            self.error(
                where,
                "a tolerance of zero matches almost nothing: computed answers are rarely exact; "
                "give rtol and/or atol above zero",
            )
            return None
        return tolerance

    def choices(self, item: dict, qtype: str | None, line: int) -> tuple[Choice, ...] | None:
        items = item["choices"]
        where = _key_line(item, "choices", line)
        if not isinstance(items, list) or len(items) < 2:
            got = f"{len(items)}" if isinstance(items, list) else _found(items)
            self.error(where, f"choices must be a list of at least two choices, got {got}")
            return None
        if len(items) > 26:
            self.error(where, f"choices are lettered a to z, so at most 26; got {len(items)}")
            return None
        errors_before = self.error_count()
        built: list[Choice] = []
        for index, choice in enumerate(items):
            choice_line = _item_line(items, index, where)
            number = index + 1
            if not isinstance(choice, dict):
                self.error(choice_line, f"choice {number} must be a mapping, got {_found(choice)}")
                continue
            self.check_keys(choice, CHOICE_KEYS, ("text",), choice_line)
            text = self.text(choice, "text", choice_line, required=True) if "text" in choice else None
            correct = self.flag(choice, "correct", choice_line) if "correct" in choice else False
            feedback: str | None = ""
            if "feedback" in choice:
                feedback = self.text(choice, "feedback", choice_line, required=False)
            if correct is False and not (feedback or "").strip():
                self.warning(choice_line, f"choice {number} has no feedback explaining why it is wrong")
            if text is not None and correct is not None and feedback is not None:
                letter = chr(ord("a") + index)
                built.append(Choice(id=letter, text=text, correct=correct, feedback=feedback))
        if self.error_count() > errors_before:
            return None
        right = sum(c.correct for c in built)
        if qtype == "single_choice" and right != 1:
            self.error(where, f"a single_choice question needs exactly one correct choice, got {right}")
            return None
        if qtype == "multiple_choice" and right == 0:
            self.error(where, "a multiple_choice question needs at least one correct choice")
            return None
        if qtype == "multiple_choice" and right == len(built):
            self.error(where, "a multiple_choice question needs at least one choice that is not correct")
            return None
        return tuple(built)


__all__ = [
    "bank_paths",
    "content_hash",
    "load_bank",
    "load_bank_file",
    "load_banks",
    "validate_bank",
]
