"""`quiz demo-data`: a small synthetic cohort whose rows agree with each other the way services leave them."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import func, select

from quizserver.demo import DEMO_DOMAIN
from quizserver.extensions import db
from quizserver.models import Attempt, QuestionState, User, Variant


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_demo_data_builds_a_consistent_cohort(app: Flask, runner) -> None:
    result = runner.invoke(args=["quiz", "demo-data", "--students", "12", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "created 12 students" in result.output
    with app.app_context():
        students = db.session.scalars(select(User).where(User.email.like(f"%@{DEMO_DOMAIN}"))).all()
        assert len(students) == 12 and {s.role for s in students} == {"student"}
        assert all(s.password_hash is None for s in students)  # nobody can log in as a demo student
        states = db.session.scalars(select(QuestionState)).all()
        attempts = db.session.scalars(select(Attempt)).all()
        assert states and len(attempts) >= len([s for s in states if s.attempts])
        counted: dict[tuple[int, int, str], list[Attempt]] = defaultdict(list)
        for a in attempts:
            if a.counted:
                counted[(a.user_id, a.week, a.question_id)].append(a)
            else:
                assert a.status == "invalid"  # the only attempts that do not count are typos
        now = datetime.now(UTC)
        for state in states:
            mine = sorted(counted[(state.user_id, state.week, state.question_id)], key=lambda a: (a.created_at, a.id))
            assert state.attempts == len(mine)
            assert all(a.variant_id == state.variant_id for a in mine)
            if mine:
                assert state.first_score == mine[0].score
                assert state.credit == max(a.credit for a in mine)
                assert aware(state.last_attempt_at) == aware(mine[-1].created_at) <= now
            if state.solved_at is not None:
                assert mine[-1].status == "correct" and state.attempts_to_correct == len(mine)
            assert state.wrong == sum(a.status != "correct" for a in mine)
        variant = db.session.get(Variant, states[0].variant_id)
        assert variant.user_id == states[0].user_id and variant.answer is not None
        assert {"sign"} & {a.mistake for a in attempts}  # the classic mistakes are there to be grouped


def test_demo_data_is_reproducible_and_refuses_to_pile_up(app: Flask, runner) -> None:
    def summary() -> tuple:
        with app.app_context():
            return tuple(
                db.session.execute(
                    select(Attempt.status, func.count()).group_by(Attempt.status).order_by(Attempt.status)
                ).all()
            )

    assert runner.invoke(args=["quiz", "demo-data", "--students", "5", "--seed", "7"]).exit_code == 0
    first = summary()
    again = runner.invoke(args=["quiz", "demo-data", "--students", "5", "--seed", "7"])
    assert again.exit_code != 0 and "--replace" in again.output
    replaced = runner.invoke(args=["quiz", "demo-data", "--students", "5", "--seed", "7", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert "removed 5 demo students" in replaced.output
    assert summary() == first


def test_demo_data_syncs_the_banks_when_none_is_served(bare_app: Flask) -> None:
    result = bare_app.test_cli_runner().invoke(args=["quiz", "demo-data", "--students", "3"])
    assert result.exit_code == 0, result.output
    with bare_app.app_context():
        assert db.session.scalar(select(func.count(QuestionState.id))) > 0
