"""A validated question bank as frozen dataclasses. No Flask, no SQLAlchemy."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from quizserver.figures import ImageFile, ImageRef, PlotSpec
from quizserver.grading import AnswerSpec, ChoiceOption, QuestionType, Tolerance, any_of, question_type

FORMAT_VERSIONS = (1,)
PARAM_KINDS = ("uniform", "normal", "randint", "choice")
CONSTANT = "constant"  # `eps: 1.0e-5`: a plain number (or list of numbers) the draw never changes
PART_SEPARATOR = "."  # a part's id is `<question>.<part>`; question ids cannot contain it


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bank, located in its file."""

    path: str
    line: int
    message: str
    question: str | None = None
    column: int | None = None
    severity: str = "error"  # "error" refuses the bank; "warning" is reported only

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.column is not None:
            where += f":{self.column}"
        who = f" {self.question}:" if self.question else ""
        level = " warning:" if self.severity == "warning" else ""
        return f"{where}:{who}{level} {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "question": self.question,
            "severity": self.severity,
            "message": self.message,
        }


def has_errors(problems: Iterable[Problem]) -> bool:
    """Any problem that refuses a bank (warnings are only reported)."""
    return any(p.severity == "error" for p in problems)


@dataclass(frozen=True)
class ParamSpec:
    """A randomized parameter: `x: {normal: [0, 1], shape: [3], round: 1}`."""

    name: str
    kind: str  # one of PARAM_KINDS, or CONSTANT
    args: tuple[Any, ...]  # uniform/normal/randint: (a, b); choice: the values; constant: (the value,)
    shape: tuple[int, ...] | None = None
    round: int | None = None
    line: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The plain form the sandbox worker draws from."""
        return {
            "name": self.name,
            "kind": self.kind,
            "args": list(self.args),
            "shape": list(self.shape) if self.shape is not None else None,
            "round": self.round,
        }


@dataclass(frozen=True)
class Check:
    """Numerical verification of the answer key, run by `quiz check`."""

    gradient_of: str | None = None
    wrt: str | None = None
    equals: str | None = None
    rtol: float = 1e-4
    atol: float = 1e-6
    line: int = 0


@dataclass(frozen=True)
class Choice:
    id: str  # "a", "b", ... in the order written
    text: str
    correct: bool
    feedback: str = ""


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    points: int
    text: str
    line: int
    params: tuple[ParamSpec, ...] = ()
    require: str | None = None
    solution: str | None = None
    check: Check | None = None
    tolerance: Tolerance = Tolerance()
    partial: bool = False
    expressions: bool = True
    max_attempts: int | None = None
    penalty: float = 0.0
    choices: tuple[Choice, ...] = ()
    explanation: str = ""
    title: str = ""
    variants: int | None = None  # the size of its verified pool; None: the bank's, else the server's default
    # line numbers of the question's keys, e.g. {"solution": 41}, for precise messages
    lines: tuple[tuple[str, int], ...] = ()
    # the solution's names that hold the key (`answer:`); with any_of, each is an acceptable key, or the
    # one name holds a list of them
    answer_names: tuple[str, ...] = ("answer",)
    any_of: bool = False
    # a part of a multi-part question (`parts:`): the question's id, the part's own id and letter, the part
    # that must be solved or revealed first (its full id), and the text shown above all the parts
    group: str | None = None
    part: str | None = None
    label: str = ""
    after: str | None = None
    stem: str = ""
    group_title: str = ""
    # figures (quizserver.figures): the Markdown images its texts show, and a plot drawn for each variant
    images: tuple[ImageRef, ...] = ()
    plot: PlotSpec | None = None

    @property
    def qtype(self) -> QuestionType:
        return question_type(self.type)

    @property
    def is_choice(self) -> bool:
        return not self.qtype.computed

    @property
    def seed_id(self) -> str:
        """Whose seeds the variants draw: the parts of a question share them, and so share its numbers."""
        return self.group or self.id

    @property
    def alternatives_name(self) -> str | None:
        """The one answer name that holds a list of acceptable keys (`any_of: keys`), if that is the form."""
        return self.answer_names[0] if self.any_of and len(self.answer_names) == 1 else None

    def key_from(self, names: dict[str, Any]) -> Any:
        """The answer key of a variant from the names its solution left: one value, or {"any_of": [...]}."""
        if self.is_choice:
            return self.choice_key()
        if not self.any_of:
            return names.get(self.answer_names[0])
        if self.alternatives_name is not None:
            return any_of(list(names.get(self.alternatives_name) or []))
        return any_of([names.get(name) for name in self.answer_names])

    @property
    def has_code(self) -> bool:
        return bool(self.params or self.require or self.solution)

    def line_of(self, key: str) -> int:
        return dict(self.lines).get(key, self.line)

    def answer_spec(self) -> AnswerSpec:
        return AnswerSpec(
            type=self.type,
            tolerance=self.tolerance,
            partial=self.partial,
            expressions=self.expressions,
            choices=tuple(ChoiceOption(c.id, c.correct, c.feedback) for c in self.choices),
        )

    def choice_key(self) -> list[str]:
        return [c.id for c in self.choices if c.correct]


@dataclass(frozen=True)
class Bank:
    week: int
    title: str
    questions: tuple[Question, ...]
    path: str
    content_hash: str  # sha256 of the source text: the bank's version
    format_version: int = 1
    opens: datetime | None = None
    closes: datetime | None = None
    variants: int | None = None  # pool size for its questions; None: the server's default
    # line numbers of the top-level keys, e.g. {"week": 2}, for messages that point into the file
    lines: tuple[tuple[str, int], ...] = ()
    # the image files its texts show, read and checked at check and sync (bank.figures.attach_image_files)
    images: tuple[ImageFile, ...] = ()

    def question(self, question_id: str) -> Question | None:
        for q in self.questions:
            if q.id == question_id:
                return q
        return None

    def parts_of(self, group: str) -> tuple[Question, ...]:
        """The parts of a multi-part question, in the order written."""
        return tuple(q for q in self.questions if q.group == group)

    @property
    def total_points(self) -> int:
        return sum(q.points for q in self.questions)

    def pool_size(self, question: Question, default: int) -> int:
        """How many verified variants sync computes for the question: its own `variants`, the bank's, or
        the default. Without random parameters every variant is the same question, so one is enough,
        except that a choice question shuffles its options per variant."""
        size = question.variants or self.variants or default
        if not question.params and not question.is_choice:
            return 1
        return size
