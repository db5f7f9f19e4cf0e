"""`quiz regrade`: a key fixed in the bank reaches the answers already given, once."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from quizserver.accounts import create_user
from quizserver.banksync import sync_banks
from quizserver.catalog import served_bank
from quizserver.extensions import db
from quizserver.models import Attempt, User, Variant
from quizserver.regrade import RegradeError, regrade
from tests.conftest import AuthActions
from tests.web.helpers import answer, attempts_of, key_of, numbers_of, state_of

WRONG_KEY = "answer = a * b + 1.5"  # the bank's author slipped: the right key is a * b + 0.5
FIXTURE = Path(__file__).parents[1] / "fixtures" / "banks" / "week01-test.yaml"


@pytest.fixture
def bank_file(tmp_path: Path) -> Path:
    """A copy of the test bank whose 'scale' key is wrong."""
    folder = tmp_path / "banks"
    folder.mkdir()
    path = folder / "week01-test.yaml"
    source = FIXTURE.read_text()
    assert "answer = a * b + 0.5" in source
    path.write_text(source.replace("answer = a * b + 0.5", WRONG_KEY))
    return path


@pytest.fixture
def wrong_app(make_app: Callable[..., Flask], bank_file: Path) -> Flask:
    app = make_app(QUESTIONS_DIR=str(bank_file.parent))
    with app.app_context():
        assert sync_banks([bank_file], variants=2).ok
        db.session.commit()
    return app


def _fix_and_sync(app: Flask, bank_file: Path) -> None:
    bank_file.write_text(bank_file.read_text().replace(WRONG_KEY, "answer = a * b + 0.5"))
    with app.app_context():
        assert sync_banks([bank_file], variants=2).ok
        db.session.commit()


def _student_answers_right(app: Flask, make_student: Callable[[], User]) -> tuple[User, FlaskClient]:
    """A student who types a * b + 0.5, the right value, and is told it is wrong."""
    user = make_student()
    client = app.test_client()
    assert AuthActions(client).login(user.email).status_code == 302
    client.get("/weeks/1")
    names = numbers_of(state_of(app, user.id, 1, "scale"))
    answer(client, 1, "scale", str(names["a"] * names["b"] + 0.5))
    return user, client


@pytest.fixture
def make_student(wrong_app: Flask) -> Callable[[], User]:
    counter = iter(range(1, 1000))

    def factory() -> User:
        with wrong_app.app_context():
            user = create_user(f"regrade{next(counter)}@uni.example", "correct horse battery", role="student")
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return factory


def _regrade(app: Flask, *args: str) -> list[str]:
    result = app.test_cli_runner().invoke(args=["quiz", "regrade", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_right_answer_against_a_wrong_key_gets_its_credit(wrong_app: Flask, bank_file: Path, make_student) -> None:
    user, _ = _student_answers_right(wrong_app, make_student)
    before = state_of(wrong_app, user.id, 1, "scale")
    assert before.credit == 0 and before.solved_at is None and before.wrong == 1
    assert attempts_of(wrong_app, user.id, "scale")[0].status == "incorrect"

    _fix_and_sync(wrong_app, bank_file)
    output = _regrade(wrong_app, "1")

    assert "1 keys changed" in output[0]
    assert "1 statuses changed" in output[1]
    assert output[2] == "scores changed: 1 up, 0 down"
    after = state_of(wrong_app, user.id, 1, "scale")
    assert after.credit == 1.0
    assert after.solved_at is not None and after.attempts_to_correct == 1
    assert after.wrong == 0 and after.attempts == 1 and after.first_score == 1.0
    attempt = attempts_of(wrong_app, user.id, "scale")[0]
    assert (attempt.status, attempt.credit, attempt.counted) == ("correct", 1.0, True)
    names = numbers_of(after)
    assert key_of(wrong_app, user.id, 1, "scale") == pytest.approx(names["a"] * names["b"] + 0.5)
    with wrong_app.app_context():
        current = served_bank(1)
        assert after.variant.bank_version_id == current.version.id
        # the attempt still names the version it was made against
        assert attempt.bank_hash != current.version.content_hash


def test_dry_run_writes_nothing(wrong_app: Flask, bank_file: Path, make_student) -> None:
    user, _ = _student_answers_right(wrong_app, make_student)
    _fix_and_sync(wrong_app, bank_file)
    key_before = key_of(wrong_app, user.id, 1, "scale")

    output = _regrade(wrong_app, "1", "--dry-run")

    assert "1 keys would change" in output[0]
    assert output[2] == "scores would change: 1 up, 0 down"
    assert output[-1] == "dry run: nothing was written"
    assert key_of(wrong_app, user.id, 1, "scale") == key_before
    assert state_of(wrong_app, user.id, 1, "scale").credit == 0
    assert attempts_of(wrong_app, user.id, "scale")[0].status == "incorrect"


def test_second_run_changes_nothing(wrong_app: Flask, bank_file: Path, make_student) -> None:
    for _ in range(2):
        _student_answers_right(wrong_app, make_student)
    _fix_and_sync(wrong_app, bank_file)
    first = _regrade(wrong_app, "1")
    assert "2 keys changed" in first[0] and first[2] == "scores changed: 2 up, 0 down"

    second = _regrade(wrong_app, str(bank_file), "scale")

    assert second[0] == "week 1, question scale: 2 variants recomputed, 0 keys changed"
    assert second[1] == "2 attempts re-graded, 0 statuses changed"
    assert second[2] == "scores changed: 0 up, 0 down"


def test_a_key_made_wrong_takes_credit_away_and_later_attempts_count_again(
    wrong_app: Flask, bank_file: Path, make_student
) -> None:
    """Regrading goes both ways: the penalty and attempt counts are replayed in order."""
    _fix_and_sync(wrong_app, bank_file)
    user = make_student()
    client = wrong_app.test_client()
    AuthActions(client).login(user.email)
    client.get("/weeks/1")
    names = numbers_of(state_of(wrong_app, user.id, 1, "count"))
    right = names["n"] * names["m"] + names["m"]
    answer(client, 1, "count", str(right + 1))  # wrong
    answer(client, 1, "count", str(right))  # right on the second of two attempts: 1 - 0.25
    assert state_of(wrong_app, user.id, 1, "count").credit == pytest.approx(0.75)

    bank_file.write_text(bank_file.read_text().replace("answer = n * m + m", "answer = n * m + m + 1"))
    with wrong_app.app_context():
        assert sync_banks([bank_file], variants=2).ok
        db.session.commit()
    output = _regrade(wrong_app, "1", "count")

    assert output[2] == "scores changed: 1 up, 0 down"
    state = state_of(wrong_app, user.id, 1, "count")
    assert (state.credit, state.attempts, state.wrong, state.attempts_to_correct) == (1.0, 1, 0, 1)
    first, second = attempts_of(wrong_app, user.id, "count")
    assert (first.status, first.counted, first.credit) == ("correct", True, 1.0)
    # solved by the first attempt now, so the second one is practice
    assert (second.status, second.counted, second.credit) == ("incorrect", False, 0.0)


def test_changed_numbers_are_left_alone(wrong_app: Flask, bank_file: Path, make_student) -> None:
    user, _ = _student_answers_right(wrong_app, make_student)
    bank_file.write_text(bank_file.read_text().replace("a: {randint: [2, 9]}", "a: {randint: [20, 90]}"))
    with wrong_app.app_context():
        assert sync_banks([bank_file], variants=2).ok
        db.session.commit()

    output = _regrade(wrong_app, "1", "scale")

    assert "0 variants recomputed" in output[0]
    assert "1 variants left as they were:" in output
    assert "other numbers for this seed" in output[-1]
    assert state_of(wrong_app, user.id, 1, "scale").credit == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["7"], "no bank is served for week 7"),
        (["1", "nope"], "week 1 has no question 'nope'"),
        (["no-such-file.yaml"], "neither a week number nor a bank file"),
    ],
)
def test_bad_arguments_are_explained(wrong_app: Flask, args: list[str], message: str) -> None:
    result = wrong_app.test_cli_runner().invoke(args=["quiz", "regrade", *args])
    assert result.exit_code == 1
    assert message in result.output


def test_an_unsynced_file_is_refused(wrong_app: Flask, bank_file: Path) -> None:
    bank_file.write_text(bank_file.read_text().replace(WRONG_KEY, "answer = a * b + 0.5"))
    result = wrong_app.test_cli_runner().invoke(args=["quiz", "regrade", str(bank_file)])
    assert result.exit_code == 1
    assert "run quiz sync first" in result.output


def test_regrade_function_on_an_empty_week(wrong_app: Flask) -> None:
    with wrong_app.app_context():
        summary = regrade(served_bank(1))
        assert (summary.variants, summary.attempts, summary.changed) == (0, 0, False)
        assert db.session.scalar(select(func.count()).select_from(Variant)) == 0
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0
        with pytest.raises(RegradeError):
            regrade(served_bank(1), "missing")


def test_regrade_help(runner) -> None:
    result = runner.invoke(args=["quiz", "regrade", "--help"])
    assert result.exit_code == 0
    assert "--dry-run" in result.output and "BANK" in result.output


def test_a_key_the_grader_refuses_never_reaches_students(wrong_app: Flask, bank_file: Path, make_student) -> None:
    """A broken key is refused at sync (its pool fails verification): the last good version keeps serving,
    so there is nothing for a regrade to change."""
    user = make_student()
    client = wrong_app.test_client()
    AuthActions(client).login(user.email)
    client.get("/weeks/1")
    answer(client, 1, "count", "7")
    with wrong_app.app_context():
        served_before = served_bank(1).version.content_hash
    bank_file.write_text(bank_file.read_text().replace("answer = n * m + m", "answer = n * m + m + 0.5"))
    with wrong_app.app_context():
        report = sync_banks([bank_file], variants=2)
        db.session.commit()
        assert not report.ok
        assert any("an integer question's answer must be whole" in p.message and "(seed " in p.message
                   for p in report.files[0].problems)
        assert served_bank(1).version.content_hash == served_before

    output = _regrade(wrong_app, "1", "count")

    assert "0 keys changed" in output[0]
    assert attempts_of(wrong_app, user.id, "count")[0].raw_answer == "7"
