"""The scoring rule: one table of standings, grades and questions, and what each answer does."""
from __future__ import annotations

import pytest

from quizserver.bank import Question
from quizserver.grading import Grade, Status
from quizserver.scoring import Outcome, Standing, attempt_credit, score_attempt

RIGHT = Grade(Status.CORRECT, 1.0, "Correct.")
HALF = Grade(Status.PARTIAL, 0.5, "Partly right.")
WRONG = Grade(Status.INCORRECT, 0.0, "Not correct.")
UNREADABLE = Grade(Status.INVALID, 0.0, "Not a number.")


def question(max_attempts: int | None = None, penalty: float = 0.0) -> Question:
    return Question(id="q", type="numeric", points=2, text="?", line=1, max_attempts=max_attempts, penalty=penalty)


CASES = [
    # (name, standing before, grade, question, outcome, this answer's credit, standing after)
    ("first answer right", Standing(), RIGHT, question(), Outcome.COUNTED, 1.0,
     Standing(attempts=1, credit=1.0, first_score=1.0, attempts_to_correct=1, solved=True)),
    ("first answer wrong", Standing(), WRONG, question(), Outcome.COUNTED, 0.0,
     Standing(attempts=1, wrong=1, first_score=0.0)),
    ("right after two wrong, penalty 0.25", Standing(attempts=2, wrong=2, first_score=0.0), RIGHT,
     question(penalty=0.25), Outcome.COUNTED, 0.5,
     Standing(attempts=3, wrong=2, credit=0.5, first_score=0.0, attempts_to_correct=3, solved=True)),
    ("the penalty never takes credit below 0", Standing(attempts=5, wrong=5, first_score=0.0), RIGHT,
     question(penalty=0.3), Outcome.COUNTED, 0.0,
     Standing(attempts=6, wrong=5, first_score=0.0, attempts_to_correct=6, solved=True)),
    ("credit never decreases", Standing(attempts=1, wrong=1, credit=0.5, first_score=0.5), HALF,
     question(penalty=0.25), Outcome.COUNTED, 0.25,
     Standing(attempts=2, wrong=2, credit=0.5, first_score=0.5)),
    ("partial is not solved and counts as wrong for the next", Standing(), HALF, question(), Outcome.COUNTED, 0.5,
     Standing(attempts=1, wrong=1, credit=0.5, first_score=0.5)),
    ("unreadable uses no attempt", Standing(attempts=1, wrong=1, first_score=0.0), UNREADABLE,
     question(max_attempts=2), Outcome.INVALID, 0.0, Standing(attempts=1, wrong=1, first_score=0.0)),
    ("the last attempt left counts", Standing(attempts=1, wrong=1, first_score=0.0), RIGHT,
     question(max_attempts=2), Outcome.COUNTED, 1.0,
     Standing(attempts=2, wrong=1, credit=1.0, first_score=0.0, attempts_to_correct=2, solved=True)),
    ("out of attempts: practice", Standing(attempts=2, wrong=2, first_score=0.0), RIGHT,
     question(max_attempts=2), Outcome.NO_ATTEMPTS_LEFT, 0.0, Standing(attempts=2, wrong=2, first_score=0.0)),
    ("solved: practice", Standing(attempts=1, credit=1.0, first_score=1.0, attempts_to_correct=1, solved=True),
     WRONG, question(), Outcome.SOLVED, 0.0,
     Standing(attempts=1, credit=1.0, first_score=1.0, attempts_to_correct=1, solved=True)),
    ("revealed: practice, even if right", Standing(attempts=1, wrong=1, first_score=0.0, revealed=True), RIGHT,
     question(), Outcome.REVEALED, 0.0, Standing(attempts=1, wrong=1, first_score=0.0, revealed=True)),
]  # fmt: skip


@pytest.mark.parametrize(("before", "result", "asked", "outcome", "credit", "after"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])  # fmt: skip
def test_score_attempt(
    before: Standing, result: Grade, asked: Question, outcome: Outcome, credit: float, after: Standing
) -> None:
    scored = score_attempt(before, result, asked)
    assert scored.outcome is outcome
    assert scored.counted is (outcome is Outcome.COUNTED)
    assert scored.credit == pytest.approx(credit)
    assert scored.after == after


@pytest.mark.parametrize(
    ("score", "penalty", "wrong_before", "credit"),
    [(1.0, 0.0, 3, 1.0), (1.0, 0.25, 1, 0.75), (0.5, 0.25, 1, 0.25), (1.0, 0.5, 3, 0.0), (0.0, 0.0, 0, 0.0)],
)
def test_attempt_credit(score: float, penalty: float, wrong_before: int, credit: float) -> None:
    assert attempt_credit(score, penalty, wrong_before) == pytest.approx(credit)


def test_a_sequence_of_answers_never_counts_past_max_attempts() -> None:
    asked = question(max_attempts=3, penalty=0.2)
    standing = Standing()
    credits = []
    for result in [WRONG, HALF, UNREADABLE, WRONG, RIGHT]:
        scored = score_attempt(standing, result, asked)
        credits.append((scored.outcome, round(scored.credit, 6)))
        standing = scored.after
    assert credits == [
        (Outcome.COUNTED, 0.0), (Outcome.COUNTED, 0.3), (Outcome.INVALID, 0.0), (Outcome.COUNTED, 0.0),
        (Outcome.NO_ATTEMPTS_LEFT, 0.0),
    ]  # fmt: skip
    assert (standing.attempts, standing.wrong, standing.credit, standing.solved) == (3, 3, 0.3, False)
