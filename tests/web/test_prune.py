"""A bank file removed from questions/: sync reports it, `--prune` or the Banks page unpublishes it, and
students' history and the staff pages keep the week."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from quizserver.catalog import served_banks
from quizserver.extensions import db
from quizserver.models import BankFileStatus, QuestionState, User

from ..conftest import FIXTURES, AuthActions, csrf_token


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    questions = tmp_path / "questions"
    questions.mkdir()
    shutil.copy(FIXTURES / "banks" / "week01-test.yaml", questions)
    shutil.copy(FIXTURES / "closed" / "week02-closed.yaml", questions)
    return questions


@pytest.fixture
def course(make_app: Callable[..., Flask], folder: Path) -> Flask:
    app = make_app(QUESTIONS_DIR=str(folder))
    result = app.test_cli_runner().invoke(args=["quiz", "sync", "--variants", "3"])
    assert result.exit_code == 0, result.output
    return app


def served_weeks(app: Flask) -> list[int]:
    with app.app_context():
        return [sb.week for sb in served_banks()]


def sync(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["quiz", "sync", "--variants", "3", *args])
    assert result.exit_code == 0, result.output
    return result.output


def log_in(app: Flask, role: str) -> FlaskClient:
    from quizserver.accounts import create_user

    email = f"{role}@uni.example"
    with app.app_context():
        if db.session.scalar(select(User).where(User.email == email)) is None:
            create_user(email, "correct horse battery", role=role, name=role.title())
            db.session.commit()
    client = app.test_client()
    AuthActions(client).login(email)
    return client


def test_sync_reports_a_removed_file_and_keeps_serving_it(course: Flask, folder: Path) -> None:
    (folder / "week02-closed.yaml").unlink()
    output = sync(course)
    assert "week02-closed.yaml: week 2: removed from the questions folder but still published" in output
    assert "--prune" in output
    assert served_weeks(course) == [1, 2]  # nothing is taken away without being asked
    with course.app_context():
        rows = db.session.scalars(select(BankFileStatus).where(BankFileStatus.removed_at.is_not(None))).all()
        assert [r.week for r in rows] == [2]


def test_syncing_one_file_says_nothing_about_the_others(course: Flask, folder: Path) -> None:
    output = sync(course, str(folder / "week01-test.yaml"))
    assert "removed" not in output


def test_prune_unpublishes_and_history_stays(course: Flask, folder: Path) -> None:
    student = log_in(course, "student")
    assert student.get("/weeks/2").status_code == 200  # the student opens week 2: it enters their history
    with course.app_context():
        assert db.session.scalar(select(QuestionState.id).where(QuestionState.week == 2)) is not None
    (folder / "week02-closed.yaml").unlink()
    output = sync(course, "--prune")
    assert "week 2: removed from the questions folder: unpublished (history kept)" in output
    assert served_weeks(course) == [1]
    assert student.get("/weeks/2").status_code == 404
    assert "A closed week" not in student.get("/weeks").get_data(as_text=True)
    progress = student.get("/progress").get_data(as_text=True)
    assert "A closed week" in progress and "no longer published" in progress
    staff = log_in(course, "staff")
    gradebook = staff.get("/staff/").get_data(as_text=True)
    assert "W2" in gradebook
    assert staff.get("/staff/weeks/2").status_code == 200
    assert staff.get("/staff/weeks/2/items").status_code == 200
    # putting the file back and syncing publishes the same version again
    shutil.copy(FIXTURES / "closed" / "week02-closed.yaml", folder)
    again = sync(course)
    assert "removed" not in again and served_weeks(course) == [1, 2]


def test_the_banks_page_offers_to_unpublish_a_removed_file(course: Flask, folder: Path) -> None:
    instructor = log_in(course, "instructor")
    assert "Unpublish week" not in instructor.get("/instructor/banks").get_data(as_text=True)
    (folder / "week02-closed.yaml").unlink()
    sync(course)
    page = instructor.get("/instructor/banks").get_data(as_text=True)
    assert "file removed, still published" in page and "Unpublish week 2" in page
    token = csrf_token(instructor, "/instructor/banks")
    # only a week whose file is gone can be unpublished this way
    refused = instructor.post("/instructor/banks/unpublish", data={"week": "1", "csrf_token": token},
                              follow_redirects=True)  # fmt: skip
    assert "Nothing was unpublished" in refused.get_data(as_text=True) and served_weeks(course) == [1, 2]
    done = instructor.post("/instructor/banks/unpublish", data={"week": "2", "csrf_token": token},
                           follow_redirects=True)  # fmt: skip
    assert "Week 2 is no longer published" in done.get_data(as_text=True)
    assert served_weeks(course) == [1]
    assert "file removed, unpublished" in instructor.get("/instructor/banks").get_data(as_text=True)
    for odd in ({"week": "x"}, {}):
        response = instructor.post("/instructor/banks/unpublish", data={**odd, "csrf_token": token})
        assert response.status_code == 302
    staff = log_in(course, "staff")
    assert staff.post("/instructor/banks/unpublish", data={"week": "1", "csrf_token": token}).status_code in (400, 403)
