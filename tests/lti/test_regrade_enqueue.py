"""`quiz regrade` that changes week scores queues them for the LMS gradebooks as an answer would."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import delete, select

from quizserver.banksync import sync_banks
from quizserver.extensions import db
from quizserver.models import LtiContext, LtiGradeQueue, LtiIdentity, LtiMembership, LtiPlatform, QuestionState, User
from tests.conftest import AuthActions, csrf_token

FIXTURE = Path(__file__).parents[1] / "fixtures" / "banks" / "week01-test.yaml"
RIGHT, WRONG = "answer = a * b + 0.5", "answer = a * b + 1.5"


def _linked_student(app: Flask, user: User) -> None:
    """A student of a Moodle course, as a launch would have recorded."""
    with app.app_context():
        platform = LtiPlatform(issuer="https://moodle.example", client_id="c", auth_login_url="https://m/a",
                               auth_token_url="https://m/t", key_set_url="https://m/k")  # fmt: skip
        db.session.add(platform)
        db.session.flush()
        context = LtiContext(platform_id=platform.id, context_id="course", lineitems_url="https://m/li",
                             ags_scopes=[])  # fmt: skip
        db.session.add(context)
        db.session.flush()
        db.session.add(LtiIdentity(platform_id=platform.id, subject="s-1", user_id=user.id))
        db.session.add(LtiMembership(context_id=context.id, user_id=user.id, lms_role="student"))
        db.session.commit()


def test_a_regrade_that_changes_scores_queues_them(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    bank = tmp_path / "week01-test.yaml"
    bank.write_text(FIXTURE.read_text().replace(RIGHT, WRONG))
    app = make_app(QUESTIONS_DIR=str(tmp_path), LTI_PUSH_AFTER_RESPONSE=False)
    with app.app_context():
        assert sync_banks([bank], variants=2).ok
        db.session.commit()
    with app.app_context():
        student = User(email="moodle-student@uni.example", name="S", role="student", active=True, session_version=0)
        from quizserver.accounts import set_password

        set_password(student, "correct horse battery")
        db.session.add(student)
        db.session.commit()
        db.session.refresh(student)
        db.session.expunge(student)
    _linked_student(app, student)
    client = app.test_client()
    assert AuthActions(client).login(student.email).status_code == 302
    client.get("/weeks/1")
    with app.app_context():
        state = db.session.scalar(select(QuestionState).where(
            QuestionState.user_id == student.id, QuestionState.question_id == "scale"
        ))  # fmt: skip
        assert state is not None
        params = state.variant.pool_variant.params if state.variant.pool_variant else state.variant.names
        right = params["a"] * params["b"] + 0.5
    token = csrf_token(client, "/weeks/1")
    page = client.get("/weeks/1").get_data(as_text=True)
    import re

    form_token = re.search(r'action="/weeks/1/scale/answer".*?name="token" value="([^"]*)"', page, re.S)
    assert form_token
    posted = client.post(
        "/weeks/1/scale/answer", data={"csrf_token": token, "token": form_token.group(1), "answer": str(right)}
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)[:300]
    with app.app_context():
        assert len(db.session.scalars(select(LtiGradeQueue)).all()) == 1  # the (wrongly) incorrect answer counted
        db.session.execute(delete(LtiGradeQueue))  # as if sent
        db.session.commit()
    bank.write_text(bank.read_text().replace(WRONG, RIGHT))
    with app.app_context():
        assert sync_banks([bank], variants=2).ok
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["quiz", "regrade", "1"])
    assert result.exit_code == 0 and "1 up" in result.output, result.output
    with app.app_context():
        (row,) = db.session.scalars(select(LtiGradeQueue)).all()
        assert (row.user_id, row.week) == (student.id, 1)
