"""Fixtures: an app on a fresh database (SQLite, or PostgreSQL when QUIZ_TEST_DATABASE_URL is set)."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quizserver import create_app
from quizserver.accounts import create_user
from quizserver.banksync import sync_banks
from quizserver.config import PROJECT_ROOT
from quizserver.databases import scratch_database
from quizserver.extensions import db
from quizserver.models import User
from tests.csrf import CSRF_PATTERN, csrf_token  # noqa: F401  (the one CSRF helper; tests import it from here too)

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "correct horse battery"
ENROLLMENT_KEY = "deep-learning-2026"
NO_POSTGRES = (
    "needs PostgreSQL: set QUIZ_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres "
    "(a fresh database is created for the run)"
)
_skipped: list[tuple[str, str]] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("QUIZ_TEST_DATABASE_URL"):
        return
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.skip(reason=NO_POSTGRES))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped.append((report.nodeid, reason.removeprefix("Skipped: ")))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With QUIZ_REQUIRE_ALL_TESTS=1 (CI), a skipped test fails the run: nothing is silently untested."""
    if os.environ.get("QUIZ_REQUIRE_ALL_TESTS") == "1" and _skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if os.environ.get("QUIZ_REQUIRE_ALL_TESTS") == "1" and _skipped:
        terminalreporter.section("QUIZ_REQUIRE_ALL_TESTS=1: skipped tests fail this run", red=True, bold=True)
        for nodeid, reason in _skipped:
            terminalreporter.line(f"SKIPPED {nodeid}: {reason}")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """None: a SQLite file per test. With QUIZ_TEST_DATABASE_URL: one fresh PostgreSQL database per run."""
    base = os.environ.get("QUIZ_TEST_DATABASE_URL")
    if not base:
        yield None
        return
    with scratch_database(base, Path("unused.sqlite3"), "quiz_test") as url:
        yield url


def is_postgres(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.fixture
def app_config(tmp_path: Path, database_url: str | None) -> dict[str, Any]:
    return {
        "ENV": "testing",
        "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "QUESTIONS_DIR": str(FIXTURES / "banks"),
        "ENROLLMENT_KEY": ENROLLMENT_KEY,
        "RATELIMIT_ENABLED": False,
        "POOL_VARIANTS": 6,
    }


@pytest.fixture
def make_app(app_config: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    made: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        app = create_app({**app_config, **overrides})
        with app.app_context():
            db.drop_all()
            db.create_all()
        made.append(app)
        return app

    yield factory
    for app in made:
        with app.app_context():
            db.session.remove()
            if is_postgres(app):
                db.drop_all()
            db.engine.dispose()


@pytest.fixture
def bare_app(make_app: Callable[..., Flask]) -> Flask:
    """An app with an empty database and no banks synced."""
    return make_app()


@pytest.fixture
def app(bare_app: Flask) -> Flask:
    """An app with the test banks synced."""
    with bare_app.app_context():
        report = sync_banks([FIXTURES / "banks", FIXTURES / "closed"], variants=6)
        assert report.ok, [str(p) for f in report.files for p in f.problems]
        db.session.commit()
    return bare_app


@pytest.fixture
def shipped_app(make_app: Callable[..., Flask]) -> Flask:
    """An app serving the shipped banks of questions/, each with a pool of 2 verified variants."""
    app = make_app(QUESTIONS_DIR=str(PROJECT_ROOT / "questions"))
    with app.app_context():
        report = sync_banks([PROJECT_ROOT / "questions"], variants=2)
        assert report.ok, [str(p) for f in report.files for p in f.problems]
        db.session.commit()
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def factory(role: str = "student", email: str | None = None, password: str = PASSWORD, name: str = "") -> User:
        with app.app_context():
            user = create_user(
                email or f"{role}{next(counter)}@uni.example", password, role=role, name=name or role.title()
            )
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return factory


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD):
        token = csrf_token(self.client, "/login")
        return self.client.post("/login", data={"email": email, "password": password, "csrf_token": token})

    def logout(self):
        token = csrf_token(self.client, "/weeks")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def student(make_user: Callable[..., User], auth: AuthActions) -> User:
    user = make_user("student")
    assert auth.login(user.email).status_code == 302
    return user
