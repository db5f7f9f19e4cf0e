"""The README's settings table lists every setting the server reads, once, and nothing else.

A new setting in config.DEFAULTS (or a QUIZ_ variable read directly from the environment) fails this test
until the table has its row: the README stays the one place an operator looks.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from quizserver.config import DEFAULTS, PROJECT_ROOT
from quizserver.devserver import use_debugger

README = (PROJECT_ROOT / "README.md").read_text()
# a QUIZ_ variable named as a string in the server's code, e.g. os.environ.get("QUIZ_PORT")
READ_DIRECTLY = re.compile(r"""["'](QUIZ_[A-Z][A-Z0-9_]*)["']""")
NOT_SETTINGS = {"QUIZ_TEST_DATABASE_URL", "QUIZ_REQUIRE_ALL_TESTS"}  # the test suite's own switches


def settings_read() -> set[str]:
    names = {f"QUIZ_{key}" for key in DEFAULTS}
    for path in [PROJECT_ROOT / "app.py", *sorted((PROJECT_ROOT / "quizserver").rglob("*.py"))]:
        names |= set(READ_DIRECTLY.findall(path.read_text()))
    return names - NOT_SETTINGS


def settings_table() -> list[str]:
    """Every QUIZ_ name in the first cell of a row of the Configuration section's table."""
    section = README[README.index("## Configuration"):]
    section = section[: section.find("\n## ", 1)] if "\n## " in section[1:] else section
    names: list[str] = []
    for row in re.findall(r"^\|([^|\n]*)\|", section, re.M):
        names += re.findall(r"`(QUIZ_[A-Z0-9_]+)`", row)
    return names


def test_every_setting_the_server_reads_has_a_row() -> None:
    missing = sorted(settings_read() - set(settings_table()))
    assert not missing, f"add a row to the README's settings table for {missing}"


def test_every_row_is_a_setting_the_server_reads() -> None:
    unknown = sorted(set(settings_table()) - settings_read())
    assert not unknown, f"the README documents settings nothing reads: {unknown}"


def test_each_setting_has_one_row() -> None:
    twice = sorted(name for name, count in Counter(settings_table()).items() if count > 1)
    assert not twice, twice


def test_the_issues_settings_are_documented() -> None:
    for name in ("QUIZ_PORT", "QUIZ_COURSE_TITLE", "QUIZ_LOGIN_LIMIT", "QUIZ_DEBUG"):
        assert name in settings_table()


class _App:
    def __init__(self, debug: bool) -> None:
        self.debug = debug


@pytest.mark.parametrize(
    ("debug", "environ", "expected"),
    [
        (True, {}, True),  # python app.py: development, with the debugger
        (True, {"QUIZ_DEBUG": "0"}, False),
        (True, {"QUIZ_DEBUG": "off"}, False),
        (True, {"QUIZ_DEBUG": "1"}, True),
        (False, {}, False),  # production never gets it
        (False, {"QUIZ_DEBUG": "1"}, False),
    ],
)
def test_python_app_py_runs_the_debugger_unless_told_not_to(debug: bool, environ: dict, expected: bool) -> None:
    assert use_debugger(_App(debug), environ) is expected  # type: ignore[arg-type]


def test_the_readme_says_how_to_set_up_and_run_without_the_debugger() -> None:
    setup = README[README.index("## Set-up"): README.index("## For instructors")]
    for needed in ("Python 3.11", "python3 -m venv .venv", "second terminal", "QUIZ_DEBUG=0 python app.py",
                   "QUIZ_TEST_DATABASE_URL"):
        assert needed in setup, needed
    assert Path(PROJECT_ROOT / "app.py").exists()
