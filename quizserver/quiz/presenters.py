"""What the quiz page shows for each question: plain values built from the bank and the student's state."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from quizserver.answers import practice_note
from quizserver.bank import Bank, Question
from quizserver.bank.pool import split_part_html
from quizserver.catalog import ServedBank
from quizserver.extensions import db
from quizserver.grading import first_key
from quizserver.grading.alternatives import key_text
from quizserver.models import Attempt, PoolVariant, QuestionState, Variant
from quizserver.render import render_template
from quizserver.variants import may_practise, solution_visible


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
    # a part of a question in parts: hidden until the part it comes after is solved or revealed
    hidden: bool = False
    waits_for: str = ""  # the letter of that part
    parts: PartsView | None = None  # on a part: the whole question, which the page shows as one

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
        """The last answer stays in its box: a wrong or unreadable one to correct rather than retype, a right
        one to see next to its feedback. New numbers start empty (the last answer is on the current variant)."""
        if self.last is None or self.question.is_choice:
            return ""
        return self.last.raw_answer

    @property
    def box_invalid(self) -> bool:
        """A wrong or unreadable last answer marks the answer box invalid; the feedback describes it."""
        return self.last is not None and self.last.status in ("incorrect", "invalid")

    @property
    def selected(self) -> set[str]:
        if self.last is None or not self.question.is_choice or self.last.status == "invalid":
            return set()  # an unreadable post holds what was sent, not the author's ids
        return set(self.last.raw_answer.split(","))


@dataclass(frozen=True)
class PartsView:
    """A question in parts as the page shows it: one heading and shared text, then lettered parts."""

    group: str
    number: int
    title: str
    stem_html: str
    parts: tuple[QuestionView, ...]
    can_practise: bool

    @property
    def points(self) -> int:
        return sum(part.question.points for part in self.parts)

    @property
    def credit_points(self) -> float:
        return round(sum(part.credit_points for part in self.parts), 2)

    @property
    def solved(self) -> bool:
        return all(part.solved for part in self.parts)

    @property
    def first(self) -> QuestionView:
        return self.parts[0]


def part_locked(served: ServedBank, question: Question, prior: QuestionState | None) -> bool:
    """A part that comes `after:` another stays closed while the week is open, until that part is solved or
    its solution revealed: its text may show the earlier part's correct values."""
    if question.after is None or served.is_closed():
        return False
    return not (prior is not None and (prior.solved_at or prior.revealed_at))


def layout(served: ServedBank, question: Question, state: QuestionState) -> tuple[object, ...]:
    """What a question's HTML shows of the student's state beyond its form's actions (attempts line, form token)
    and its feedback: the numbers, the credit, solved or revealed, the solution and the practice tools. An
    answer that leaves this as it was changes only those two (the template's `actions` and `feedback` blocks).
    (A part that opens once another is solved or revealed waits for a change of this.)"""
    return (
        state.variant_id,
        state.credit,
        state.solved_at is not None,
        state.revealed_at is not None,
        solution_visible(served, state),
        may_practise(served, question, state),
    )


def shape_hint(question: Question, answer: Any) -> tuple[str, tuple[int, ...]]:
    """What to type for this variant's key, from the question's type (its own shape, its digit rule)."""
    return question.qtype.hint(first_key(answer), question.tolerance)


def display_number(bank: Bank, question: Question) -> int:
    """The question's number on the page: the parts of a question share one."""
    seen: list[str] = []
    for other in bank.questions:
        item = other.group or other.id
        if item not in seen:
            seen.append(item)
        if other.id == question.id:
            break
    return len(seen)


def question_view(
    number: int,
    question: Question,
    served: ServedBank,
    state: QuestionState | None,
    last: Attempt | None,
    unavailable: str = "",
) -> QuestionView:
    """One question's view; a part's view also holds the whole question (`parts`), since the page shows
    and re-renders the parts of a question together."""
    if question.group is None:
        return _single_view(number, question, served, state, last, unavailable)
    parts = served.bank.parts_of(question.group)
    states, lasts = _part_rows(served, parts, state)
    views = []
    for part in parts:
        part_state = state if part.id == question.id else states.get(part.id)
        part_last = last if part.id == question.id else lasts.get(part.id)
        views.append(_single_view(number, part, served, part_state, part_last,
                                  unavailable if part.id == question.id else "", states=states))  # fmt: skip
    first = views[0]
    stem = split_part_html(shown_html(parts[0], first.state.variant).raw_text)[0] if first.state else ""
    whole = PartsView(
        group=question.group,
        number=display_number(served.bank, question),
        title=question.group_title,
        stem_html=stem,
        parts=tuple(views),
        can_practise=all(v.can_practise for v in views),
    )
    own = next(v for v in views if v.question.id == question.id)
    return replace(own, parts=whole)


def _part_rows(
    served: ServedBank, parts: tuple[Question, ...], state: QuestionState | None
) -> tuple[dict[str, QuestionState], dict[str, Attempt]]:
    """The student's states on a question's parts (with their variants) and the latest attempt on each."""
    if state is None:
        return {}, {}
    ids = [q.id for q in parts]
    states = {
        s.question_id: s
        for s in db.session.scalars(
            select(QuestionState)
            .options(joinedload(QuestionState.variant).joinedload(Variant.pool_variant)
                     .load_only(PoolVariant.text_html, PoolVariant.explanation_html, PoolVariant.choices_html))
            .where(QuestionState.user_id == state.user_id, QuestionState.week == served.week,
                   QuestionState.question_id.in_(ids))
            .execution_options(populate_existing=True)  # an answer may have just solved a part
        )
    }  # fmt: skip
    latest = (
        select(func.max(Attempt.id))
        .join(QuestionState, QuestionState.variant_id == Attempt.variant_id)
        .where(Attempt.user_id == state.user_id, Attempt.week == served.week, QuestionState.user_id == state.user_id,
               Attempt.question_id.in_(ids))
        .group_by(Attempt.question_id)
    )  # fmt: skip
    lasts = {a.question_id: a for a in db.session.scalars(select(Attempt).where(Attempt.id.in_(latest)))}
    return states, lasts


def _single_view(
    number: int,
    question: Question,
    served: ServedBank,
    state: QuestionState | None,
    last: Attempt | None,
    unavailable: str = "",
    states: dict[str, QuestionState] | None = None,
) -> QuestionView:
    number = display_number(served.bank, question)
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
    waits_for, hidden = "", False
    if question.after is not None:
        prior = (states or {}).get(question.after)
        prior_question = served.bank.question(question.after)
        waits_for = prior_question.label if prior_question else ""
        hidden = part_locked(served, question, prior)
    return QuestionView(
        question=question,
        number=number,
        state=state,
        text_html=shown.own_text,
        hidden=hidden,
        waits_for=waits_for,
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
    raw_text: str  # as stored: for a part, its question's shared text, a mark, then its own
    explanation: str
    choices: dict[str, str]

    @property
    def text(self) -> str:
        """The text to show the question alone (a review card): for a part, its question's text and then its own."""
        stem, own = split_part_html(self.raw_text)
        return stem + own

    @property
    def own_text(self) -> str:
        """A part's own text, shown under its question's (the page shows that once, above all parts)."""
        return split_part_html(self.raw_text)[1]


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
    return key_text(answer, question.tolerance)
