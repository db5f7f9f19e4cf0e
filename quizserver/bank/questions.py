"""The bank validator: a bank's top-level keys, its questions and their parts, and the rules each
question's type sets (grading.qtypes). Static: author code is parsed, never run. No Flask, no SQLAlchemy.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from typing import Any

from quizserver.grading import QUESTION_TYPES, REGISTRY
from quizserver.grading.qtypes import owners, type_keys
from quizserver.render import unsupported_placeholders

from .fields import found, is_int, item_line, key_line, mapping_line, stored_names, text_line
from .figures import question_images, question_plot
from .keys import KeyReader
from .loader import LineDict
from .model import FORMAT_VERSIONS, PART_SEPARATOR, Bank, Question

BANK_KEYS = ("version", "week", "title", "opens", "closes", "variants", "questions")
# keys every question takes, whatever its type; each type adds its own (grading.qtypes)
COMMON_KEYS = ("id", "type", "points", "title", "text", "params", "require", "max_attempts", "penalty",
               "explanation", "variants", "plot")
TYPE_KEYS = type_keys()
QUESTION_KEYS = (*COMMON_KEYS, *(k for k in TYPE_KEYS if k not in COMMON_KEYS), "parts")
# a question in parts: what its parts share, what they inherit unless they say otherwise, and what each says
SHARED_KEYS = ("params", "require", "solution")
INHERITED_KEYS = ("max_attempts", "penalty", "expressions", "tolerance")
GROUP_KEYS = ("id", "title", "text", *SHARED_KEYS, "variants", *INHERITED_KEYS, "parts", "plot")
PART_KEYS = ("id", "type", "points", "text", "explanation", "after", "max_attempts", "penalty",
             *(k for k in TYPE_KEYS if k not in SHARED_KEYS and k not in ("max_attempts", "penalty")))
MAX_PARTS = 26

QUESTION_ID = re.compile(r"[a-z0-9][a-z0-9\-_]*")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
MAX_WEEK = 99
MAX_POINTS = 100
MAX_VARIANTS = 2000  # a pool larger than this only slows sync down


def placeholder_set(text: str) -> set[str]:
    return {match.group(1) for match in PLACEHOLDER.finditer(text or "")}


@dataclass(frozen=True)
class PartOf:
    """Where a part belongs: its question, its own id and letter, the part it waits for, and what it shares."""

    group: str
    part: str
    label: str
    after: str | None
    stem: str
    title: str
    shared: frozenset[str]


def _text_of(item: dict, key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _merged(item: dict, part: dict, line: int) -> LineDict:
    """A part as one question: the question's shared and inherited keys, then the part's own, each keeping
    the line it was written on, so every message points at the right place."""
    merged = LineDict(line=line)
    sources = [(item, key) for key in (*SHARED_KEYS, "variants", *INHERITED_KEYS) if key in item]
    sources += [(part, key) for key in part if key not in ("id", "after")]
    for source, key in sources:
        merged[key] = source[key]
        if isinstance(source, LineDict):
            merged.key_lines[key] = source.key_line(key)
            if key in source.value_lines:
                merged.value_lines[key] = source.value_lines[key]
            merged.value_styles[key] = source.value_styles.get(key)
    return merged


class BankValidator(KeyReader):
    # -- the bank

    def bank(self, data: Any, source_hash: str) -> Bank | None:
        if data is None:
            self.error(1, "the file is empty; a bank starts with 'version: 1'")
            return None
        if not isinstance(data, dict):
            self.error(
                mapping_line(data, 1),
                f"a bank must be a mapping with version, week, title and questions, got {found(data)}",
            )
            return None

        self.check_keys(data, BANK_KEYS, ("version", "week", "title", "questions"), 1)
        version = week = title = opens = closes = None
        if "version" in data:
            version = data["version"]
            if not is_int(version) or version not in FORMAT_VERSIONS:
                supported = ", ".join(str(v) for v in FORMAT_VERSIONS)
                where = key_line(data, "version", 1)
                self.error(where, f"version must be {supported}, got {found(version)}")
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
            self.error(key_line(data, "closes", 1),
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
        line = key_line(data, "questions", 1)
        if not isinstance(items, list):
            self.error(line, f"questions must be a list of questions, got {found(items)}")
            return None
        if not items:
            self.error(line, "questions must list at least one question")
            return None
        built: list[Question] = []
        first_seen: dict[str, int] = {}
        ok = True
        for index, item in enumerate(items):
            where = item_line(items, index, line)
            if isinstance(item, dict) and "parts" in item:
                parts = self.multipart(item, where, first_seen)
                ok = ok and parts is not None
                built.extend(parts or ())
                continue
            question = self.question(item, index + 1, where, first_seen)
            ok = ok and question is not None
            if question is not None:
                built.append(question)
        self.question_id = None
        return built if ok else None

    # -- one question

    def question(self, item: Any, number: int, line: int, first_seen: dict[str, int]) -> Question | None:
        self.question_id = None
        if not isinstance(item, dict):
            self.error(line, f"question {number} must be a mapping with id, type, points and text, "
                             f"got {found(item)}")
            return None
        errors_before = self.error_count()

        qid = item.get("id")
        if isinstance(qid, str):
            self.question_id = qid
        if "id" in item:
            qid = self.question_ident(item, line, first_seen)
        self.check_keys(item, QUESTION_KEYS, ("id", "type", "points", "text"), line)
        return self.question_body(item, qid, line, errors_before)

    def question_body(
        self, item: dict, qid: str | None, line: int, errors_before: int, *, part: PartOf | None = None
    ) -> Question | None:
        """Everything but the id and the unknown keys: the typed fields, the type's rules and the names
        the text uses. For a part, `item` holds the question's shared keys next to the part's own."""
        qtype = self.question_type(item, line) if "type" in item else None
        kind = REGISTRY.get(qtype) if qtype is not None else None
        takes = set(kind.keys) | set(kind.ignored) if kind is not None else set(TYPE_KEYS)
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

        answer = self.answer(item, line) if "answer" in item and "answer" in takes else (("answer",), False)
        if answer is not None:
            fields["answer_names"], fields["any_of"] = answer
        solution_names: set[str] | None = set()
        # a part may show the shared solution's names even when its type takes no solution of its own
        reads_solution = "solution" in takes or part is not None
        if "solution" in item and reads_solution:
            tree = self.code(item, "solution", "exec", line)
            solution_names = None
            if tree is not None:
                solution_names = stored_names(tree)
                fields["solution"] = item["solution"]
                if kind is None or kind.computed:
                    self.answer_assigned(item, answer[0] if answer else (), solution_names, line)
        if "check" in item and "check" in takes:
            fields["check"] = self.check(item, param_names, line)
            if fields["check"] is not None and fields["check"].gradient_of and fields.get("any_of"):
                self.error(key_line(item, "check", line), "a gradient has one value, so it cannot check "
                                                          "alternative keys (any_of); use equals")
        if "tolerance" in item and "tolerance" in takes:
            fields["tolerance"] = self.tolerance(item, line)
        if "choices" in item and "choices" in takes:
            fields["choices"] = self.choices(item, qtype, line)

        self.type_rules(item, qtype, line, shared=part.shared if part else frozenset())
        if solution_names is not None:
            # names from a solution that failed to parse are unknown; no point guessing
            self.placeholders(item, set(param_names) | solution_names, line)
        fields["images"] = question_images(item, line, self.error)
        if "plot" in item:
            known = set(param_names) | solution_names if solution_names is not None else None
            fields["plot"] = question_plot(item, line, known, self.error)

        # a missing or malformed id was reported above, so `qid is None` adds no new case
        if self.error_count() > errors_before or qtype is None or qid is None:
            return None
        values = {k: v for k, v in fields.items() if v is not None}
        if part is not None:
            values |= {"group": part.group, "part": part.part, "label": part.label, "after": part.after,
                       "stem": part.stem, "group_title": part.title,
                       # where a part is listed alone (item analysis, review): the question's title and its letter
                       "title": f"{part.title} ({part.label})" if part.title else f"({part.label})"}
        return Question(
            id=qid,
            type=qtype,
            line=line,
            params=params or (),
            lines=tuple((k, key_line(item, k, line)) for k in item if isinstance(k, str)),
            **values,
        )

    def answer_assigned(self, item: dict, names: tuple[str, ...], assigned: set[str], line: int) -> None:
        for name in names:
            if name in assigned:
                continue
            if name == "answer":
                self.error(key_line(item, "solution", line),
                           "solution never assigns answer; end it with a line such as answer = ...")
            else:
                self.error(key_line(item, "answer", line), f"solution never assigns {name}, named by answer")

    # -- a question in parts

    def multipart(self, item: dict, line: int, first_seen: dict[str, int]) -> list[Question] | None:
        """A question with `parts:`: its shared keys once, then each part as a Question of its own, with the
        id `<question>.<part>` and the question's seeds, so every part of a variant has the same numbers."""
        self.question_id = item.get("id") if isinstance(item.get("id"), str) else None
        errors_before = self.error_count()
        qid = self.question_ident(item, line, first_seen) if "id" in item else None
        self.check_keys(item, GROUP_KEYS, ("id", "parts"), line)
        for key in ("title", "text"):
            if key in item:
                self.text(item, key, line, required=False)
        if "params" in item:
            self.params(item, line)
        if "require" in item:
            self.code(item, "require", "eval", line)
        shared_names: set[str] | None = None
        if "solution" in item:
            tree = self.code(item, "solution", "exec", line)
            shared_names = stored_names(tree) if tree is not None else None
        parts = item["parts"]
        where = key_line(item, "parts", line)
        if not isinstance(parts, list) or not parts:
            self.error(where, f"parts must be a list of at least one part, got {found(parts)}")
            return None
        if len(parts) > MAX_PARTS:
            self.error(where, f"parts are lettered a to z, so at most {MAX_PARTS}; got {len(parts)}")
            return None
        if self.error_count() > errors_before or qid is None:
            return None  # a broken shared key would be reported again for every part
        written = item.get("params")
        known = ({k for k in written if isinstance(k, str)} if isinstance(written, dict) else set()) | (
            shared_names or set())
        if isinstance(item.get("text"), str):
            self.placeholders(item, known, line)
        stem_images = question_images(item, line, self.error)  # each part shows the text above it
        stem_plot = question_plot(item, line, known, self.error) if "plot" in item else None  # drawn below it
        built: list[Question] = []
        part_ids: dict[str, int] = {}
        answers: dict[str, tuple[str, ...]] = {}
        for index, part in enumerate(parts):
            part_line = item_line(parts, index, where)
            self.question_id = qid
            question = self.part(item, part, index, part_line, qid, part_ids)
            if question is not None:
                if stem_images or stem_plot:
                    question = replace(question, images=stem_images + question.images, plot=stem_plot)
                built.append(question)
                answers[question.part or ""] = question.answer_names if not question.is_choice else ()
        self.question_id = qid
        if len(built) != len(parts):
            return None
        self.hidden_answers(item, parts, built, answers, line)
        self.question_id = None
        return built if self.error_count() == errors_before else None

    def part(self, item: dict, part: Any, index: int, line: int, qid: str, part_ids: dict[str, int]) -> Question | None:
        label = chr(ord("a") + index)
        if not isinstance(part, dict):
            self.error(line, f"part {label} must be a mapping with id, type, points and text, got {found(part)}")
            return None
        errors_before = self.error_count()
        pid = part.get("id")
        if isinstance(pid, str):
            self.question_id = f"{qid}{PART_SEPARATOR}{pid}"
        for key in SHARED_KEYS:
            if key in part:
                self.error(key_line(part, key, line), f"{key} belongs to the question, not to a part: its parts "
                                                      "share it")
        # the shared keys are reported above, with what to do instead
        self.check_keys(part, (*PART_KEYS, *SHARED_KEYS), ("id", "type", "points", "text"), line)
        if "id" in part:
            pid = self.question_ident(part, line, part_ids, what="part id")
        after = None
        if "after" in part:
            named = part["after"]
            after_line = key_line(part, "after", line)
            if not isinstance(named, str) or named not in part_ids or named == pid:
                earlier = ", ".join(k for k in part_ids if k != pid) or "none"
                self.error(after_line, f"after must name an earlier part of this question (those are: {earlier}), "
                                       f"got {found(named)}")
            else:
                after = f"{qid}{PART_SEPARATOR}{named}"
        merged = _merged(item, part, line)
        if not isinstance(pid, str) or self.error_count() > errors_before:
            return None
        full_id = f"{qid}{PART_SEPARATOR}{pid}"
        stem = _text_of(item, "text")
        title = _text_of(item, "title")
        shared = frozenset(k for k in SHARED_KEYS if k in item)
        return self.question_body(merged, full_id, line, errors_before,
                                  part=PartOf(qid, pid, label, after, stem, title, shared))

    def hidden_answers(self, item: dict, parts: list, built: list[Question], answers: dict[str, tuple[str, ...]],
                       line: int) -> None:
        """A part's text may show another part's key only once that part is solved or revealed: it must
        come `after` it (directly or through other parts); the shared text may show none."""
        before: dict[str, set[str]] = {}
        for question in built:
            earlier = set()
            if question.after:
                prior = question.after.split(PART_SEPARATOR, 1)[1]
                earlier = {prior} | before.get(prior, set())
            before[question.part or ""] = earlier
        owner = {name: part for part, names in answers.items() for name in names if name != "answer"}
        stem = _text_of(item, "text")
        for name in sorted(placeholder_set(stem) & owner.keys()):
            self.error(key_line(item, "text", line), f"the text shows {name}, the answer of part "
                                                     f"'{owner[name]}', before any part is answered")
        for question, raw in zip(built, parts, strict=True):
            shown = placeholder_set(question.text)
            for name in sorted(shown & owner.keys()):
                other = owner[name]
                if other == question.part or other in before[question.part or ""]:
                    continue
                self.question_id = question.id
                self.error(key_line(raw, "text", question.line),
                           f"the text shows {name}, the answer of part '{other}': add after: {other} so this "
                           "part stays hidden until that one is solved or its solution shown")

    def question_ident(
        self, item: dict, line: int, first_seen: dict[str, int], what: str = "id"
    ) -> str | None:
        qid = item["id"]
        where = key_line(item, "id", line)
        if not isinstance(qid, str):
            self.error(where, f"{what} must be text such as mlp-backprop, got {found(qid)}")
            return None
        if not QUESTION_ID.fullmatch(qid):
            self.error(where, f"{what} {qid!r} may use only lowercase letters, digits, '-' and '_', "
                              "and must start with a letter or digit")
            return None
        if qid in first_seen:
            noun = "part id" if what == "part id" else "question id"
            self.error(where, f"duplicate {noun} '{qid}'; already used on line {first_seen[qid]}")
            return None
        first_seen[qid] = where
        return qid

    def question_type(self, item: dict, line: int) -> str | None:
        qtype = item["type"]
        where = key_line(item, "type", line)
        if not isinstance(qtype, str):
            self.error(where, f"type must be one of {', '.join(QUESTION_TYPES)}, got {found(qtype)}")
            return None
        if qtype not in QUESTION_TYPES:
            close = difflib.get_close_matches(qtype, QUESTION_TYPES, n=1)
            valid = ", ".join(QUESTION_TYPES)
            hint = f", did you mean '{close[0]}'?" if close else f"; valid types are {valid}"
            self.error(where, f"unknown type '{qtype}'{hint}")
            return None
        return qtype

    def type_rules(self, item: dict, qtype: str | None, line: int, shared: frozenset[str] = frozenset()) -> None:
        """What the type declares (grading.qtypes): keys it needs, keys of other types it refuses, and keys
        it takes to no effect. Keys a part shares with its question are the question's, not the part's."""
        if qtype is None:
            return
        kind = REGISTRY[qtype]
        for key in item:
            if key in shared or key not in TYPE_KEYS or key in kind.keys or key in kind.ignored:
                continue
            where = key_line(item, key, line)
            if kind.refused_note:
                self.error(where, f"{qtype} questions take no {key}; {kind.refused_note}")
            else:
                verb = "are" if key.endswith("s") else "is"
                self.error(where, f"{key} {verb} only for {' and '.join(owners(key))} questions")
        for key, why in kind.required.items():
            if key not in item:
                self.error(line, f"missing required key '{key}'{why}")
        for key, warning in kind.ignored.items():
            if key in item:
                self.warning(key_line(item, key, line), warning)

    def placeholders(self, item: dict, known: set[str], line: int) -> None:
        for key in ("text", "explanation"):
            value = item.get(key)
            if not isinstance(value, str):
                continue
            for match in PLACEHOLDER.finditer(value):
                name = match.group(1)
                if name not in known:
                    offset = value.count("\n", 0, match.start())
                    self.error(text_line(item, key, offset, line), f"unknown name '{name}' in {key}")
            for start, written in unsupported_placeholders(value):
                offset = value.count("\n", 0, start)
                self.error(
                    text_line(item, key, offset, line),
                    f"{written} in {key}: only a name goes between {{{{ }}}}, it would be shown as typed; "
                    "compute the value in `solution` under a name of its own (e.g. x0 = x[0]) and write {{ x0 }}",
                )
