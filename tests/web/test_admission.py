"""Exam admission on hand-made cohorts: the student's status line, the staff page and CSV, and a regrade."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from quizserver.accounts import create_user
from quizserver.banksync import sync_banks
from quizserver.catalog import served_bank
from quizserver.extensions import db
from quizserver.models import QuestionState, User
from quizserver.regrade import regrade
from quizserver.staff import admission_routes
from quizserver.variants import ensure_states
from tests.conftest import FIXTURES, PASSWORD, AuthActions
from tests.web.helpers import answer, numbers_of, state_of

# Week 1 (test bank) is open and has no deadline; week 2 (closed in 2020) has one question of 1 point.


def course(make_app: Callable[..., Flask], **rule: Any) -> Flask:
    app = make_app(**rule)
    with app.app_context():
        assert sync_banks([FIXTURES / "banks", FIXTURES / "closed"], variants=6).ok
        db.session.commit()
    return app


def add_student(app: Flask, email: str, name: str, week2_credit: float | None) -> int:
    """A student with the given credit on week 2's one question (None: never opened it)."""
    with app.app_context():
        user = create_user(email, PASSWORD, role="student", name=name)
        db.session.flush()
        if week2_credit is not None:
            state = ensure_states(user, served_bank(2)).states["double"]
            state.credit = week2_credit
            state.attempts = 1
        db.session.commit()
        return user.id


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login(email).status_code == 302
    return client


def staff_client(app: Flask) -> FlaskClient:
    with app.app_context():
        create_user("staff@uni.example", PASSWORD, role="staff", name="Sam Staff")
        db.session.commit()
    return signed_in(app, "staff@uni.example")


def csv_rows(client: FlaskClient, path: str = "/staff/admission.csv") -> list[dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize(
    ("allowed", "expected"),
    [
        # week 2 is judged (closed); week 1 is open, so it is a week to come
        (0, {"ada": ("at risk", ""), "ben": ("not admitted", "2"), "cem": ("not admitted", "2")}),
        (1, {"ada": ("admitted", ""), "ben": ("at risk", "2"), "cem": ("at risk", "2")}),
        (2, {"ada": ("admitted", ""), "ben": ("admitted", "2"), "cem": ("admitted", "2")}),
    ],
)
def test_admission_csv_on_a_hand_made_cohort(
    make_app: Callable[..., Flask], allowed: int, expected: dict[str, tuple[str, str]]
) -> None:
    app = course(make_app, PASS_THRESHOLD=50.0, ALLOWED_FAILS=allowed, ADMISSION_WEEKS="1-2")
    add_student(app, "ada@uni.example", "Ada", 0.5)  # exactly 50 %: passed
    add_student(app, "ben@uni.example", "Ben", 0.4)  # 40 %: failed
    add_student(app, "cem@uni.example", "Cem", None)  # never opened: 0 %, failed
    rows = {row["name"].lower(): row for row in csv_rows(staff_client(app))}
    assert {name: (row["status"], row["failed weeks"]) for name, row in rows.items()} == expected
    assert rows["ada"]["week 2 (%)"] == "50.00" and rows["ben"]["week 2 (%)"] == "40.00"
    assert rows["cem"]["weeks judged"] == "2" and rows["cem"]["weeks to come"] == "1"
    assert rows["ben"]["allowed fails"] == str(allowed)


def test_admission_agrees_with_the_gradebook(make_app: Callable[..., Flask]) -> None:
    app = course(make_app, ADMISSION_WEEKS="1-2")
    for i, credit in enumerate([0.0, 0.25, 0.5, 1.0, None]):
        add_student(app, f"s{i}@uni.example", f"Student {i}", credit)
    client = staff_client(app)
    gradebook = {row["email"]: row for row in csv_rows(client, "/staff/gradebook.csv")}
    for row in csv_rows(client):
        assert row["week 2 (%)"] == gradebook[row["email"]]["week 2 (%)"]
        assert row["week 1 (%)"] == gradebook[row["email"]]["week 1 (%)"]


def test_the_admission_page_lists_the_worst_first_and_filters(make_app: Callable[..., Flask]) -> None:
    app = course(make_app, ALLOWED_FAILS=0, ADMISSION_WEEKS="1-2")
    ada = add_student(app, "ada@uni.example", "Ada", 1.0)
    add_student(app, "ben@uni.example", "Ben", 0.2)
    client = staff_client(app)
    page = client.get("/staff/admission").get_data(as_text=True)
    assert page.index("Ben") < page.index("Ada")
    assert "2 (20.0 %)" in page  # Ben's failed week with its score
    assert f'href="/staff/students/{ada}"' in page
    assert "Download as CSV" in page
    only = client.get("/staff/admission?status=at+risk").get_data(as_text=True)
    assert "Ada" in only and "ben@uni.example" not in only
    assert "ben@uni.example" in client.get("/staff/admission?status=nonsense").get_data(as_text=True)


def test_every_week_with_a_deadline_counts_by_default(make_app: Callable[..., Flask]) -> None:
    """Week 1 has no deadline (practice only): with QUIZ_ADMISSION_WEEKS=all only week 2 counts, so nothing is
    still to come and the status is final."""
    app = course(make_app, ALLOWED_FAILS=1)
    add_student(app, "ada@uni.example", "Ada", 0.0)
    add_student(app, "ben@uni.example", "Ben", 1.0)
    rows = {row["name"]: row for row in csv_rows(staff_client(app))}
    assert [(rows[n]["status"], rows[n]["weeks judged"], rows[n]["weeks to come"]) for n in ("Ada", "Ben")] == [
        ("admitted", "2", ""), ("admitted", "2", "")
    ]
    assert "week 1 (%)" not in rows["Ada"]


def test_students_do_not_see_the_staff_page(make_app: Callable[..., Flask]) -> None:
    app = course(make_app)
    add_student(app, "ada@uni.example", "Ada", 1.0)
    client = signed_in(app, "ada@uni.example")
    assert client.get("/staff/admission").status_code == 403
    assert client.get("/staff/admission.csv").status_code == 403


@pytest.mark.parametrize(
    ("credit", "allowed", "shown"),
    [
        (1.0, 1, "Exam admission: reached.</strong> 0 of 1 allowed fails used."),
        # week 1 is open and still to come: failing it too would be a second fail
        (0.0, 1, "Exam admission: 1 of 1 allowed fails used.</strong> One more week below 50 % and admission is lost."),
        (1.0, 0, "Exam admission: 0 of 0 allowed fails used.</strong>"),
        (0.0, 0, "Exam admission: not reached.</strong> 1 weeks below 50 %"),
    ],
)
def test_the_student_sees_their_status_on_the_week_list_and_progress_page(
    make_app: Callable[..., Flask], credit: float, allowed: int, shown: str
) -> None:
    app = course(make_app, ALLOWED_FAILS=allowed, ADMISSION_WEEKS="1-2")
    add_student(app, "ada@uni.example", "Ada", credit)
    client = signed_in(app, "ada@uni.example")
    for path in ("/weeks", "/progress"):
        page = client.get(path).get_data(as_text=True)
        assert " ".join(shown.split()) in " ".join(page.split()), path


def test_an_open_week_shows_when_it_closes(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    bank = tmp_path / "week05-open.yaml"
    bank.write_text(
        (FIXTURES / "closed" / "week02-closed.yaml").read_text()
        .replace("week: 2", "week: 5").replace("2020-01-08T00:00:00+00:00", "2099-01-09T17:00:00+00:00")
    )  # fmt: skip
    app = course(make_app, ALLOWED_FAILS=2, ADMISSION_WEEKS="2-5")
    with app.app_context():
        assert sync_banks([bank], variants=6).ok
        db.session.commit()
    add_student(app, "ada@uni.example", "Ada", 0.0)
    page = " ".join(signed_in(app, "ada@uni.example").get("/weeks").get_data(as_text=True).split())
    assert "Exam admission: 1 of 2 allowed fails used.</strong> Week 5 closes Friday 09 Jan, 17:00 UTC." in page
    assert "Failed: week 2." in page


def test_a_course_without_the_rule_shows_nothing(make_app: Callable[..., Flask]) -> None:
    app = course(make_app, ADMISSION_WEEKS="none")
    add_student(app, "ada@uni.example", "Ada", 0.0)
    assert "Exam admission" not in signed_in(app, "ada@uni.example").get("/weeks").get_data(as_text=True)
    client = staff_client(app)
    assert "no exam admission rule" in client.get("/staff/admission").get_data(as_text=True)
    assert csv_rows(client) == []


WRONG_KEY = "answer = a * b + 1.5"  # the author slipped: the right key is a * b + 0.5


def test_a_regrade_changes_admission(
    make_app: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Week 1 (6 points) closes on 1 Jan 2030. Ada answers 'scale' (1 point) right but the key is wrong: 0 %,
    a failed week, not admitted (no fail allowed). The key is fixed and regraded: 1 of 6 points = 16.7 %,
    above the 15 % threshold: admitted. Nothing was cached in between."""
    folder = tmp_path / "banks"
    folder.mkdir()
    bank = folder / "week01-test.yaml"
    source = (FIXTURES / "banks" / "week01-test.yaml").read_text()
    bank.write_text(
        source.replace("answer = a * b + 0.5", WRONG_KEY)
        .replace("title: Test week\n", "title: Test week\ncloses: 2030-01-01T00:00:00+00:00\n")
    )  # fmt: skip
    app = make_app(QUESTIONS_DIR=str(folder), PASS_THRESHOLD=15.0, ALLOWED_FAILS=0, ADMISSION_WEEKS="1")
    with app.app_context():
        assert sync_banks([bank], variants=2).ok
        db.session.commit()
        ada = create_user("ada@uni.example", PASSWORD, role="student", name="Ada")
        db.session.commit()
        ada_id = ada.id
    student = signed_in(app, "ada@uni.example")
    student.get("/weeks/1")
    names = numbers_of(state_of(app, ada_id, 1, "scale"))
    answer(student, 1, "scale", str(names["a"] * names["b"] + 0.5))
    assert state_of(app, ada_id, 1, "scale").credit == 0.0

    client = staff_client(app)
    assert [row["status"] for row in csv_rows(client)] == ["at risk"]  # week 1 is not closed yet: not judged
    monkeypatch.setattr(admission_routes, "_now", lambda: datetime(2030, 1, 2, tzinfo=UTC))
    (before,) = csv_rows(client)
    assert (before["status"], before["failed weeks"], before["week 1 (%)"]) == ("not admitted", "1", "0.00")

    bank.write_text(bank.read_text().replace(WRONG_KEY, "answer = a * b + 0.5"))
    with app.app_context():
        assert sync_banks([bank], variants=2).ok
        summary = regrade(served_bank(1))
        db.session.commit()
    assert summary.scores_up == 1
    (after,) = csv_rows(client)
    assert (after["status"], after["failed weeks"], after["week 1 (%)"]) == ("admitted", "", "16.67")
    page = client.get("/staff/admission").get_data(as_text=True)
    assert "Admitted" in page and "Not admitted</td>" not in page
    with app.app_context():
        (state,) = db.session.scalars(select(QuestionState).where(QuestionState.user_id == ada_id,
                                                                  QuestionState.question_id == "scale"))  # fmt: skip
        assert state.credit == 1.0
        assert db.session.get(User, ada_id) is not None
