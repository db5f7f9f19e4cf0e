"""QUIZ_SANDBOX and QUIZ_ENV: where the jail is required, where a missing bwrap falls back, and the opt-out."""
from __future__ import annotations

import ctypes
import logging
import os

import pytest

from quizserver import create_app
from quizserver.sandbox import AuthorError, Runner, jail

pytestmark = pytest.mark.security


@pytest.fixture
def no_bwrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")


def test_production_refuses_to_run_author_code_without_bwrap(no_bwrap):
    jail.configure("jail", "production")
    with Runner() as runner, pytest.raises(AuthorError) as caught:
        runner.start()
    assert caught.value.kind == "crash"
    assert "apt-get install bubblewrap" in caught.value.message
    assert "QUIZ_SANDBOX=unconfined" in caught.value.message


def test_testing_without_bwrap_warns_once_and_runs_unjailed(no_bwrap, caplog):
    jail.configure("jail", "testing")
    with caplog.at_level(logging.WARNING, logger=jail.__name__):
        assert not jail.in_use()
        assert not jail.in_use()
        with Runner() as runner:
            assert runner.generate([], None, "answer = 2 + 2", seed=1)["names"]["answer"] == 4
            assert os.readlink(f"/proc/{runner.worker_pid}/ns/net") == os.readlink("/proc/self/ns/net")
    warnings = [record for record in caplog.records if "apt-get install bubblewrap" in record.getMessage()]
    assert len(warnings) == 1


def test_unconfined_is_logged_at_every_start(tmp_path, caplog):
    config = {"ENV": "testing", "SANDBOX": "unconfined", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    with caplog.at_level(logging.WARNING, logger=jail.__name__):
        create_app(config)
        create_app(config)
    assert sum("QUIZ_SANDBOX=unconfined" in record.getMessage() for record in caplog.records) == 2
    assert not jail.in_use()


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="QUIZ_SANDBOX must be one of jail, unconfined"):
        jail.configure("off", "production")


def test_the_app_process_is_not_dumpable(tmp_path):
    create_app({"ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    pr_get_dumpable = 3
    assert ctypes.CDLL(None).prctl(pr_get_dumpable, 0, 0, 0, 0) == 0
