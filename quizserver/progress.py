"""What a student has done: the latest attempt next to each question, and each week's score."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, select

from .catalog import ServedBank
from .extensions import db
from .models import Account, Attempt, QuestionState


def _latest_attempts(*where: Any) -> Any:
    """The latest attempt on each of the student's states' current variants. Per state, the newest entry of
    the (week, question_id, user_id, id) index that is on the current variant: the index is read backwards
    from its end and stops at the first match (the latest attempt, as a rule), however long the history."""
    latest = (
        select(Attempt.id)
        .where(
            Attempt.week == QuestionState.week,
            Attempt.question_id == QuestionState.question_id,
            Attempt.user_id == QuestionState.user_id,
            Attempt.variant_id == QuestionState.variant_id,
        )
        .order_by(Attempt.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    states = select(latest).where(
        QuestionState.user_id == bindparam("user_id"), QuestionState.week == bindparam("week"), *where
    )
    return select(Attempt).where(Attempt.id.in_(states))


# Built once, so SQLAlchemy finds them compiled in its cache on every page and answer.
_LATEST = _latest_attempts()
_LATEST_OF_QUESTION = _latest_attempts(QuestionState.question_id == bindparam("question_id"))


def last_attempts(user: Account, week: int, question_id: str | None = None) -> dict[str, Attempt]:
    """The latest attempt on each question's current variant (or on one question's), for feedback next
    to it: one row per question is read, however many attempts a student has made."""
    if question_id is None:
        rows = db.session.scalars(_LATEST, {"user_id": user.id, "week": week})
    else:
        rows = db.session.scalars(_LATEST_OF_QUESTION, {"user_id": user.id, "week": week, "question_id": question_id})
    return {a.question_id: a for a in rows}


# ---------------------------------------------------------------- scores


@dataclass(frozen=True)
class WeekProgress:
    week: int
    points: float
    total: int
    solved: int
    attempted: int
    questions: int

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.total if self.total else 0.0


class QuestionScore(Protocol):
    """What a week's score reads of a question's state: a stored row or a QuestionState."""

    @property
    def credit(self) -> float: ...
    @property
    def attempts(self) -> int: ...
    @property
    def solved_at(self) -> datetime | None: ...


def tally(served: ServedBank, states: Mapping[str, QuestionScore]) -> WeekProgress:
    """A week's score from the student's states by question id: pure, for states a view has already loaded."""
    points = 0.0
    solved = attempted = 0
    for question in served.bank.questions:
        state = states.get(question.id)
        if state is None:
            continue
        points += state.credit * question.points
        solved += state.solved_at is not None
        attempted += state.attempts > 0
    return WeekProgress(served.week, points, served.bank.total_points, solved, attempted, len(served.bank.questions))


_SCORES = select(
    QuestionState.week, QuestionState.question_id, QuestionState.credit, QuestionState.attempts,
    QuestionState.solved_at,
).where(
    QuestionState.user_id == bindparam("user_id"), QuestionState.week.in_(bindparam("weeks", expanding=True))
)  # fmt: skip


def week_progress(user: Account, served: Sequence[ServedBank]) -> dict[int, WeekProgress]:
    """Each week's score: one light query (the four columns a score needs, no ORM objects) for all weeks."""
    rows = db.session.connection().execute(_SCORES, {"user_id": user.id, "weeks": [sb.week for sb in served]})
    by_week: dict[int, dict[str, QuestionScore]] = {}
    for row in rows:
        by_week.setdefault(row.week, {})[row.question_id] = row
    return {sb.week: tally(sb, by_week.get(sb.week, {})) for sb in served}
