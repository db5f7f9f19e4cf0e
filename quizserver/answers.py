"""Submitting an answer: grade it, record the attempt, count it when an attempt is left. Flushes; the
caller commits once.

The arithmetic is the scoring rule's (quizserver/scoring.py); the database keeps it atomic:

* every answer is one `attempts` row, inserted with `ON CONFLICT (idempotency_key) DO NOTHING`, so a
  form sent twice (one after the other, or both at once) is recorded once: the second insert waits
  for the first and then inserts nothing;
* a counted answer stores the state the rule computed with a conditional UPDATE that matches only
  while the row still holds what the rule read (`attempts` unchanged, not solved or revealed, an
  attempt left). Another answer to the same question counted in between makes it match nothing: the
  state is read again and the answer scored again, so concurrent answers count one after the other,
  never beyond max_attempts, each seeing the wrong answers before it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from .bank import Question
from .catalog import ServedBank
from .extensions import db
from .grading import Grade, Status, grade
from .lti.grades import enqueue_week_grade
from .models import Attempt, QuestionState, utcnow
from .scoring import Outcome, Scored, score_attempt, why_not_counted
from .variants import standing_of


@dataclass(frozen=True)
class SubmitOutcome:
    grade: Grade
    attempt_id: int
    counted: bool  # changed the week's score
    note: str = ""  # why it did not count, when it did not
    duplicate: bool = False
    # the attempt as stored (not attached to the session): what the reply shows next to the question
    attempt: Attempt | None = None


NOT_GRADED = "Not graded: this does not use up an attempt."
CLOSED_PRACTICE = "This week is closed: the answer was graded as practice and does not change your score."
REVEALED_PRACTICE = "You revealed the solution: this answer is practice and does not change your score."
SOLVED_PRACTICE = "You already solved this question: this answer is practice."
ALREADY_RECEIVED = "This answer was already received."


def submit_answer(
    user_id: int,
    served: ServedBank,
    question: Question,
    state: QuestionState,
    raw: str,
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    unreadable: str | None = None,
) -> SubmitOutcome:
    """Grade one answer to the student's current variant (`state.variant`) and record it.

    `unreadable` is why the view could not read the form (a choice that is not a shown place): the
    answer is then recorded as invalid with that message, without grading.
    """
    now = now or utcnow()
    variant = state.variant
    if unreadable:
        result = Grade(Status.INVALID, 0.0, unreadable)
    else:
        result = grade(question.answer_spec(), variant.answer, raw)
    closed = served.is_closed(now)
    scored = _score(state, result, question, closed)
    row: dict[str, Any] = {
        "user_id": user_id, "week": served.week, "question_id": question.id, "variant_id": variant.id,
        "bank_hash": served.version.content_hash, "seed": variant.seed, "raw_answer": raw,
        "status": result.status.value, "score": result.score, "message": result.message, "mistake": result.mistake,
        "parsed": result.value, "idempotency_key": idempotency_key, "created_at": now,
        "counted": scored.counted, "credit": scored.credit,
    }  # fmt: skip
    attempt_id = _insert_attempt(row)
    if attempt_id is None:  # the token is taken: the same form sent twice, one after the other or at once
        return _already_received(user_id, served, question, state, raw, idempotency_key, now)
    if result.status is Status.INVALID:
        return SubmitOutcome(result, attempt_id, False, NOT_GRADED, attempt=Attempt(id=attempt_id, **row))
    while scored.counted and not _store(state, scored, question, now):
        # another answer to this question counted since the state was read: score this one after it
        db.session.refresh(state)
        rescored = _score(state, result, question, closed)
        if (rescored.counted, rescored.credit) != (scored.counted, scored.credit):
            row |= {"counted": rescored.counted, "credit": rescored.credit}
            rescore = {"attempt_id": attempt_id, "counted": row["counted"], "credit": row["credit"]}
            db.session.connection().execute(_RESCORE, rescore)
        scored = rescored
    attempt = Attempt(id=attempt_id, **row)
    if not scored.counted:
        db.session.connection().execute(_TOUCH, {"state_id": state.id, "now": now})
        set_committed_value(state, "last_attempt_at", now)
        return SubmitOutcome(result, attempt_id, False, _practice(question, scored.outcome), attempt=attempt)
    enqueue_week_grade(user_id, served.week, now)  # the week's score to the course's LMS gradebook, if any
    return SubmitOutcome(result, attempt_id, True, attempt=attempt)


def _score(state: QuestionState, result: Grade, question: Question, closed: bool) -> Scored:
    """The rule's verdict on the state as read; an answer to a closed week is practice."""
    before = standing_of(state)
    if closed and result.status is not Status.INVALID:
        return Scored(Outcome.CLOSED, 0.0, before)
    return score_attempt(before, result, question)


def _insert_for(dialect: Any) -> Any:
    """INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, for the dialect: the two spell it alike,
    and SQLAlchemy keeps each one's in its own module. Into the table, not the ORM entity: one row, no bulk path."""
    attempts = Attempt.__table__
    statement = dialect.insert(attempts).on_conflict_do_nothing(index_elements=["idempotency_key"])
    return statement.returning(attempts.c.id)


_INSERT_ATTEMPT = {"postgresql": _insert_for(postgresql), "sqlite": _insert_for(sqlite)}


def _insert_attempt(row: dict[str, Any]) -> int | None:
    """The new attempt row's id, or None when its form token is taken (nothing is inserted)."""
    statement = _INSERT_ATTEMPT[db.session.get_bind().dialect.name]
    return db.session.connection().execute(statement, row).scalar_one_or_none()


# Core statements on the session's connection (and transaction): plain rows, no ORM objects to keep in step;
# the caller's state object is given the stored values with set_committed_value.
_RESCORE = (
    update(Attempt)
    .where(Attempt.id == bindparam("attempt_id"))
    .values(counted=bindparam("counted"), credit=bindparam("credit"))
)
_TOUCH = update(QuestionState).where(QuestionState.id == bindparam("state_id")).values(last_attempt_at=bindparam("now"))


UNLIMITED = 2**31 - 1  # max_attempts for a question without a limit
_SCORED_COLUMNS = ("attempts", "wrong", "credit", "first_score", "attempts_to_correct", "solved_at", "last_attempt_at")
_STORE = (
    update(QuestionState)
    .where(
        QuestionState.id == bindparam("state_id"),
        QuestionState.attempts == bindparam("attempts_before"),  # no other answer counted since the read
        QuestionState.attempts < bindparam("max_attempts"),  # an attempt is left, as of the row lock
        QuestionState.solved_at.is_(None),
        QuestionState.revealed_at.is_(None),
    )
    .values({name: bindparam(name) for name in _SCORED_COLUMNS})
    .returning(QuestionState.id)
)


def _store(state: QuestionState, scored: Scored, question: Question, now: datetime) -> bool:
    """Write the standing after a counted answer if the row still holds the one it was computed from
    (and, as of the row lock, an attempt is left): False when it does not, and nothing was written."""
    after = scored.after
    values: dict[str, Any] = {
        "attempts": after.attempts,
        "wrong": after.wrong,
        "credit": after.credit,
        "first_score": after.first_score,
        "attempts_to_correct": after.attempts_to_correct,
        "solved_at": now if after.solved else None,  # the row was unsolved: the WHERE says so
        "last_attempt_at": now,
    }
    params = values | {
        "state_id": state.id,
        "attempts_before": state.attempts,
        "max_attempts": UNLIMITED if question.max_attempts is None else question.max_attempts,
    }
    if db.session.connection().execute(_STORE, params).first() is None:
        return False
    for name, value in values.items():
        set_committed_value(state, name, value)
    return True


def _practice(question: Question, outcome: Outcome) -> str:
    """Why an answer did not change the score, in the student's words."""
    if outcome is Outcome.CLOSED:
        return CLOSED_PRACTICE
    if outcome is Outcome.REVEALED:
        return REVEALED_PRACTICE
    if outcome is Outcome.SOLVED:
        return SOLVED_PRACTICE
    return (
        f"You have used all {question.max_attempts} attempts: this answer was graded as practice "
        "and does not change your score."
    )


def practice_note(served: ServedBank, question: Question, state: QuestionState, last: Attempt | None) -> str:
    """Why the answer shown next to a question did not change the score: read off the stored rows."""
    if last is None or last.counted or last.status == Status.INVALID.value:
        return ""
    if served.is_closed(last.created_at):
        return CLOSED_PRACTICE
    return _practice(question, why_not_counted(question, standing_of(state)) or Outcome.NO_ATTEMPTS_LEFT)


def _already_received(
    user_id: int, served: ServedBank, question: Question, state: QuestionState, raw: str,
    idempotency_key: str | None, now: datetime,
) -> SubmitOutcome:  # fmt: skip
    """The token is stored: what that answer got, or, for somebody else's token, a new answer without one."""
    previous = db.session.scalars(select(Attempt).where(Attempt.idempotency_key == idempotency_key)).one()
    if previous.user_id != user_id:  # somebody else's token: never reuse it
        return submit_answer(user_id, served, question, state, raw, now=now)
    stored = Grade(Status(previous.status), previous.score, previous.message, previous.parsed, previous.mistake)
    return SubmitOutcome(stored, previous.id, previous.counted, ALREADY_RECEIVED, duplicate=True, attempt=previous)
