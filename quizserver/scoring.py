"""The scoring rule: what one graded answer does to a student's standing on a question.

One pure function, `score_attempt`, used by the answer path (quizserver/answers.py), `quiz regrade`
(quizserver/regrade.py) and the demo cohort (quizserver/demo.py), so the rule is written once:

* an unreadable (invalid) answer never counts;
* nothing counts once the question is solved or its solution revealed, or its attempts are used up;
* a counted answer earns its grade's score minus the question's penalty for each earlier wrong
  answer, never below 0, and the question's credit is the best an answer earned: it never decreases.

No Flask, no SQLAlchemy: the database keeps the attempts atomic (quizserver/answers.py), not the arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from .bank import Question
from .grading import Grade, Status


class Outcome(StrEnum):
    """Whether an answer counted, and if not, why."""

    COUNTED = "counted"
    INVALID = "invalid"  # unreadable: not graded, no attempt used
    SOLVED = "solved"  # solved before: practice
    REVEALED = "revealed"  # the solution was shown: practice
    NO_ATTEMPTS_LEFT = "no_attempts_left"  # max_attempts used up: practice
    CLOSED = "closed"  # the week is closed: practice (the caller's verdict: the rule reads no calendar)


@dataclass(frozen=True)
class Standing:
    """A student's standing on one question: what the rule reads and writes (question_states' columns)."""

    attempts: int = 0  # counted answers
    wrong: int = 0  # counted answers that were not correct
    credit: float = 0.0  # the best credit earned, 0..1 of the question's points
    first_score: float | None = None  # the score of the first counted answer
    attempts_to_correct: int | None = None
    solved: bool = False
    revealed: bool = False


@dataclass(frozen=True)
class Scored:
    """One answer's effect: whether (and why not) it counted, its own credit, and the standing after it."""

    outcome: Outcome
    credit: float  # this answer's credit; 0 when it did not count
    after: Standing

    @property
    def counted(self) -> bool:
        return self.outcome is Outcome.COUNTED


def attempt_credit(score: float, penalty: float, wrong_before: int) -> float:
    """An answer's credit: its score less the penalty for each earlier wrong answer, never below 0."""
    return max(0.0, score - penalty * wrong_before)


def can_still_count(question: Question, standing: Standing) -> bool:
    """An answer can change the score until the question is solved or revealed, or out of attempts."""
    return why_not_counted(question, standing) is None


def why_not_counted(question: Question, standing: Standing) -> Outcome | None:
    if standing.revealed:
        return Outcome.REVEALED
    if standing.solved:
        return Outcome.SOLVED
    if question.max_attempts is not None and standing.attempts >= question.max_attempts:
        return Outcome.NO_ATTEMPTS_LEFT
    return None


def score_attempt(before: Standing, result: Grade, question: Question) -> Scored:
    """The standing after one graded answer, and the credit that answer earned."""
    if result.status is Status.INVALID:
        return Scored(Outcome.INVALID, 0.0, before)
    blocked = why_not_counted(question, before)
    if blocked is not None:
        return Scored(blocked, 0.0, before)
    credit = attempt_credit(result.score, question.penalty, before.wrong)
    attempts = before.attempts + 1
    correct = result.status is Status.CORRECT
    after = replace(
        before,
        attempts=attempts,
        wrong=before.wrong + (0 if correct else 1),
        credit=max(before.credit, credit),
        first_score=result.score if before.first_score is None else before.first_score,
        attempts_to_correct=attempts if correct else before.attempts_to_correct,
        solved=correct,
    )
    return Scored(Outcome.COUNTED, credit, after)
