"""A student's variants: the pool variant each question gets, new numbers for practice, revealing the
solution. Functions flush; the caller commits once."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .bank import Question
from .bank.pool import answer_key, choice_order
from .bank.verify import answer_request
from .catalog import ServedBank
from .extensions import db
from .models import Account, PoolVariant, QuestionState, Variant, utcnow
from .sandbox import Runner, get_runner
from .scoring import Standing, can_still_count

SEED_BOUND = 2**31


def new_seed() -> int:
    return secrets.randbelow(SEED_BOUND)


# ---------------------------------------------------------------- variants


@dataclass(frozen=True)
class ComputedVariant:
    seed: int
    names: dict[str, Any]
    answer: Any
    choice_order: list[str] | None


def compute_variant(question: Question, seed: int, runner: Runner | None = None) -> ComputedVariant:
    """Run the question's code for one seed in the sandbox (command line only: sync, regrade). Raises AuthorError."""
    names: dict[str, Any] = {}
    if question.has_code:
        result = (runner or get_runner()).generate(
            params=[p.as_dict() for p in question.params],
            require=question.require,
            solution=question.solution,
            seed=seed,
            **answer_request(question),
        )
        names = result["names"]
    return ComputedVariant(seed, names, answer_key(question, names), choice_order(question, seed))


class PoolUnavailable(Exception):
    """The served version of a bank has no pool for a question yet (run `quiz sync`)."""


_POOL_PICK = select(PoolVariant.id, PoolVariant.seed, PoolVariant.answer, PoolVariant.choice_order)


def _part_slot(user: Account, served: ServedBank, question: Question) -> int | None:
    """The pool slot the student's other parts of the same question show: every part of a question in
    parts must draw the same numbers (their pools use the question's seeds, slot by slot)."""
    if question.group is None:
        return None
    siblings = [q.id for q in served.bank.parts_of(question.group) if q.id != question.id]
    return db.session.scalar(
        select(PoolVariant.slot)
        .join(Variant, Variant.pool_variant_id == PoolVariant.id)
        .join(QuestionState, QuestionState.variant_id == Variant.id)
        .where(QuestionState.user_id == user.id, QuestionState.week == served.week,
               QuestionState.question_id.in_(siblings), PoolVariant.bank_version_id == served.version.id)
        .limit(1)
    )  # fmt: skip


def assign_variant(user: Account, served: ServedBank, question: Question, slot: int | None = None) -> Variant:
    """Give the student a variant of the question's pool: one they have not had, the least used first,
    ties broken at random, so few students share numbers; a part of a question in parts gets the slot its
    other parts have (or `slot`). Runs no author code."""
    whole_pool = (PoolVariant.bank_version_id == served.version.id) & (PoolVariant.question_id == question.id)
    of_question = whole_pool
    slot = slot if slot is not None else _part_slot(user, served, question)
    if slot is not None and slot >= 0:
        of_question = whole_pool & (PoolVariant.slot == slot)
    held = select(Variant.pool_variant_id).where(
        Variant.user_id == user.id, Variant.week == served.week, Variant.question_id == question.id,
        Variant.pool_variant_id.is_not(None),
    )  # fmt: skip
    least_used = _POOL_PICK.order_by(PoolVariant.uses, func.random()).limit(1)
    pick = db.session.execute(least_used.where(of_question, PoolVariant.id.not_in(held))).first()
    if pick is None:  # every variant of the pool was theirs once: start again from the least used
        pick = db.session.execute(least_used.where(of_question)).first()
    if pick is None:  # a part whose pool is smaller (no random numbers of its own): any of its variants
        pick = db.session.execute(least_used.where(whole_pool)).first()
    if pick is None:
        raise PoolUnavailable(f"week {served.week} question {question.id} has no verified variants yet")
    db.session.execute(update(PoolVariant).where(PoolVariant.id == pick.id).values(uses=PoolVariant.uses + 1))
    variant = Variant(
        user_id=user.id,
        week=served.week,
        question_id=question.id,
        seed=pick.seed,
        bank_version_id=served.version.id,
        pool_variant_id=pick.id,
        names={},
        answer=pick.answer,
        choice_order=pick.choice_order,
        created_at=utcnow(),
    )
    db.session.add(variant)
    db.session.flush()
    return variant


@dataclass
class WeekView:
    """A student's states for one week, keyed by question id; unavailable holds author errors."""

    states: dict[str, QuestionState]
    unavailable: dict[str, str] = field(default_factory=dict)
    created: bool = False  # a state was made: the caller commits


# Built once: the page and every answer run these, and SQLAlchemy then finds their compiled form in its cache.
_WEEK_STATES = (
    select(QuestionState)
    .options(
        joinedload(QuestionState.variant)
        .joinedload(Variant.pool_variant)
        .load_only(PoolVariant.text_html, PoolVariant.explanation_html, PoolVariant.choices_html)
    )
    .where(QuestionState.user_id == bindparam("user_id"), QuestionState.week == bindparam("week"))
    .execution_options(populate_existing=True)  # fresh after a commit in the same request
)
_QUESTION_STATE = _WEEK_STATES.where(QuestionState.question_id == bindparam("question_id"))


def week_states(user_id: int, week: int, question_id: str | None = None) -> dict[str, QuestionState]:
    """The student's states of a week (or of one question) with their variants and the pool rows' stored
    HTML, in one query: a page or a reply needs nothing else of them, however many questions it shows."""
    if question_id is None:
        rows = db.session.scalars(_WEEK_STATES, {"user_id": user_id, "week": week})
    else:
        rows = db.session.scalars(_QUESTION_STATE, {"user_id": user_id, "week": week, "question_id": question_id})
    return {state.question_id: state for state in rows}


def ensure_states(user: Account, served: ServedBank) -> WeekView:
    """Every question of the week gets the student's own variant, created on first view."""
    existing = week_states(user.id, served.week)
    view = WeekView(states={})
    for question in served.bank.questions:
        state = existing.get(question.id)
        if state is None:
            try:
                state = _create_state(user, served, question)
            except PoolUnavailable as exc:
                view.unavailable[question.id] = str(exc)
                continue
            view.created = True
        view.states[question.id] = state
    return view


def _create_state(user: Account, served: ServedBank, question: Question) -> QuestionState:
    variant = assign_variant(user, served, question)
    state = QuestionState(
        user_id=user.id, week=served.week, question_id=question.id, variant_id=variant.id, credit=0.0
    )
    try:
        with db.session.begin_nested():
            db.session.add(state)
    except IntegrityError:  # the same page opened twice at once: keep the first state
        state = db.session.scalars(
            select(QuestionState).where(
                QuestionState.user_id == user.id,
                QuestionState.week == served.week,
                QuestionState.question_id == question.id,
            )
        ).one()
    return state


def new_variant(user: Account, served: ServedBank, question: Question, state: QuestionState) -> bool:
    """New numbers for practice, once the question is solved, revealed, closed or out of attempts; for a
    part, once every part is, and then for all the parts together, so they keep sharing their numbers."""
    if question.group is not None:
        return _new_part_variants(user, served, question.group)
    if not may_practise(served, question, state):
        return False
    variant = assign_variant(user, served, question)
    state.variant_id = variant.id
    state.variant = variant
    state.practice_round += 1
    db.session.flush()
    return True


def standing_of(state: QuestionState) -> Standing:
    """The scoring rule's view of a stored state."""
    return Standing(
        attempts=state.attempts,
        wrong=state.wrong,
        credit=state.credit,
        first_score=state.first_score,
        attempts_to_correct=state.attempts_to_correct,
        solved=state.solved_at is not None,
        revealed=state.revealed_at is not None,
    )


def _new_part_variants(user: Account, served: ServedBank, group: str) -> bool:
    parts = served.bank.parts_of(group)
    states = {
        s.question_id: s
        for s in db.session.scalars(select(QuestionState).where(
            QuestionState.user_id == user.id, QuestionState.week == served.week,
            QuestionState.question_id.in_([q.id for q in parts]),
        ))
    }  # fmt: skip
    if len(states) != len(parts) or not all(may_practise(served, q, states[q.id]) for q in parts):
        return False
    first = assign_variant(user, served, parts[0], slot=-1)  # -1: any slot, not the one the parts share
    slot = db.session.scalar(select(PoolVariant.slot).where(PoolVariant.id == first.pool_variant_id))
    for question in parts:
        variant = first if question is parts[0] else assign_variant(user, served, question, slot=slot)
        state = states[question.id]
        state.variant_id = variant.id
        state.variant = variant
        state.practice_round += 1
    db.session.flush()
    return True


def may_practise(served: ServedBank, question: Question, state: QuestionState) -> bool:
    """New numbers once an answer can no longer change the score: closed, solved, revealed or out of attempts."""
    return served.is_closed() or not can_still_count(question, standing_of(state))


def reveal(state: QuestionState, now: datetime | None = None) -> None:
    """Show the worked solution; the question's credit is locked from now on."""
    if state.revealed_at is None:
        state.revealed_at = now or utcnow()
        db.session.flush()


def solution_visible(served: ServedBank, state: QuestionState) -> bool:
    return bool(state.solved_at or state.revealed_at or served.is_closed())


