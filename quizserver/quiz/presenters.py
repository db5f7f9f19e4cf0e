"""What the quiz page shows for each question: plain values built from the bank and the student's state."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import numpy as np

from quizserver.bank import Question
from quizserver.catalog import ServedBank
from quizserver.grading import format_answer
from quizserver.models import Attempt, QuestionState, Variant
from quizserver.render import render_template
from quizserver.services import may_practise, practice_note, solution_visible


@dataclass(frozen=True)
class ChoiceView:
    id: str  # the author's id: stays on the server, it would tell which choice was written first
    position: str  # what the form posts: the place in this student's shuffled order
    html: str


class UnreadableChoice(ValueError):
    """Posted choices that are not places in the student's order; `.message` says what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def choice_ids(order: list[str], positions: list[str]) -> str:
    """The author's ids for the posted 1-based places in the student's shuffled order.

    Only a place is accepted: an author's id would answer without reading, since keys are mostly `a`.
    """
    if not positions:
        raise UnreadableChoice("No choice is selected.")
    ids: list[str] = []
    for position in positions:
        # ASCII digits only: str.isdigit also accepts "²" and full-width digits.
        index = int(position) - 1 if position.isascii() and position.isdigit() and len(position) < 4 else -1
        if not 0 <= index < len(order):
            shown = position if len(position) <= 20 else position[:20] + "…"
            raise UnreadableChoice(f"'{shown}' is not one of the {len(order)} choices shown: choose from the list.")
        if order[index] in ids:
            raise UnreadableChoice(f"Choice {position} was sent twice.")
        ids.append(order[index])
    return ",".join(ids)


def choice_order(question: Question, order: list[str] | None) -> list[str]:
    return list(order or [c.id for c in question.choices])


@dataclass(frozen=True)
class QuestionView:
    question: Question
    number: int
    state: QuestionState | None
    text_html: str
    shape_hint: str
    shape: tuple[int, ...]
    choices: tuple[ChoiceView, ...]
    last: Attempt | None
    show_solution: bool
    explanation_html: str
    key_text: str
    attempts_left: int | None
    can_practise: bool
    token: str
    unavailable: str = ""
    practice_note: str = ""  # why the answer shown did not change the score

    @property
    def solved(self) -> bool:
        return bool(self.state and self.state.solved_at)

    @property
    def revealed(self) -> bool:
        return bool(self.state and self.state.revealed_at)

    @property
    def credit_points(self) -> float:
        return round((self.state.credit if self.state else 0.0) * self.question.points, 2)

    @property
    def prefill(self) -> str:
        """Give a wrong or unreadable answer back, so it can be corrected rather than retyped."""
        if self.last is None or self.last.status == "correct" or self.question.is_choice:
            return ""
        return self.last.raw_answer

    @property
    def selected(self) -> set[str]:
        if self.last is None or not self.question.is_choice or self.last.status == "invalid":
            return set()  # an unreadable post holds what was sent, not the author's ids
        return set(self.last.raw_answer.split(","))


def shape_hint(question: Question, answer: Any) -> tuple[str, tuple[int, ...]]:
    if question.type == "integer":
        return "a whole number", ()
    if question.type == "numeric":
        return "a number", ()
    if question.type == "single_choice":
        return "one choice", ()
    if question.type == "multiple_choice":
        return "every choice that applies", ()
    shape = tuple(np.shape(answer))
    if len(shape) == 1:
        return f"a vector of {shape[0]} entries, e.g. [1, 2, 3]", shape
    if len(shape) == 2:
        return f"a {shape[0]}×{shape[1]} matrix, e.g. [[1, 2], [3, 4]] or [1 2; 3 4]", shape
    return "a number", shape


def question_view(
    number: int,
    question: Question,
    served: ServedBank,
    state: QuestionState | None,
    last: Attempt | None,
    unavailable: str = "",
) -> QuestionView:
    if state is None:
        return QuestionView(
            question, number, None, "", "", (), (), None, False, "", "", None, False, "", unavailable=unavailable
        )
    variant = state.variant
    shown = shown_html(question, variant)
    hint, shape = shape_hint(question, variant.answer)
    choices: tuple[ChoiceView, ...] = ()
    if question.is_choice:
        order = choice_order(question, variant.choice_order)
        choices = tuple(
            ChoiceView(cid, str(i), shown.choices[cid])
            for i, cid in enumerate(order, start=1)
            if cid in shown.choices
        )
    visible = solution_visible(served, state)
    left = None
    if question.max_attempts is not None:
        left = max(0, question.max_attempts - state.attempts)
    return QuestionView(
        question=question,
        number=number,
        state=state,
        text_html=shown.text,
        shape_hint=hint,
        shape=shape,
        choices=choices,
        last=last,
        show_solution=visible,
        # Nothing about the key leaves the server before the student may see it.
        explanation_html=shown.explanation if visible else "",
        key_text=_key_text(question, variant.answer) if visible else "",
        attempts_left=left,
        can_practise=may_practise(served, question, state),
        token=secrets.token_urlsafe(16),
        practice_note=practice_note(served, question, state, last),
    )


@dataclass(frozen=True)
class ShownHtml:
    text: str
    explanation: str
    choices: dict[str, str]


def shown_html(question: Question, variant: Variant) -> ShownHtml:
    """A pool variant's HTML, rendered at sync. A variant from before pools is rendered from its names."""
    pooled = variant.pool_variant
    if pooled is not None:
        return ShownHtml(pooled.text_html, pooled.explanation_html, pooled.choices_html or {})
    names = variant.names or {}
    return ShownHtml(
        render_template(question.text, names),
        render_template(question.explanation, names) if question.explanation else "",
        {c.id: render_template(c.text, names) for c in question.choices},
    )


def _key_text(question: Question, answer: Any) -> str:
    if question.is_choice:
        correct = [c for c in question.choices if c.correct]
        return "; ".join(c.text.strip() for c in correct)
    return format_answer(answer)
