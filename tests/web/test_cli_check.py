"""`quiz check` and `quiz sync` from the command line: what an instructor sees after every edit."""
from __future__ import annotations

import json
import os
import subprocess  # nosec B404
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask

from quizserver.accounts import create_user
from quizserver.banksync import sync_banks
from quizserver.catalog import served_bank
from quizserver.config import PROJECT_ROOT
from quizserver.extensions import db
from tests.conftest import AuthActions

FIXTURES = Path(__file__).parents[1] / "fixtures"
GRADIENT_BANK = FIXTURES / "gradient" / "week05-grad.yaml"
OLD_WEEK06 = FIXTURES / "rounding" / "week06-old.yaml"  # batch norm before its questions avoided cancellation
ANSWER_LINE = "      answer = np.outer(r, x)\n"
# rtol alone while the key can be 0: the tolerance RELATE warns about
RTOL_ONLY_BANK = """\
version: 1
week: 6
title: A key that can be zero
questions:
  - id: product
    type: numeric
    points: 1
    text: Compute {{ a }} times {{ b }}.
    params:
      a: {randint: [0, 3]}
      b: {randint: [1, 40]}
    solution: answer = a * b
    tolerance: {rtol: 0.01, atol: 0}
"""


def _check(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["quiz", "check", *args])


def _gradient_copy(tmp_path: Path, replacement: str | None = None) -> tuple[Path, int]:
    """A copy of the gradient bank, its answer line replaced; returns the path and that line's number."""
    source = GRADIENT_BANK.read_text()
    lines = source.splitlines(keepends=True)
    number = lines.index(ANSWER_LINE) + 1
    if replacement is not None:
        lines[number - 1] = replacement
    path = tmp_path / "week05-grad.yaml"
    path.write_text("".join(lines))
    return path, number


def test_the_real_banks_pass(bare_app: Flask) -> None:
    result = _check(bare_app, str(PROJECT_ROOT / "questions"), "--variants", "3")
    assert result.exit_code == 0, result.output
    # warnings (such as too few distinct answers) are reported but do not fail the check
    assert all(": warning: " in line for line in result.stdout.splitlines()), result.stdout
    assert result.stderr.splitlines()[-1].startswith("ok: 12 banks")


def test_the_gradient_fixture_passes_with_many_variants(bare_app: Flask) -> None:
    result = _check(bare_app, str(GRADIENT_BANK.parent), "--variants", "60", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "Sampling 60 variants per question" in result.stderr
    # 60 pool seeds and 20 random ones per question
    assert result.stderr.splitlines()[-1] == (
        "ok: 1 banks, 2 questions, 0 errors, 0 warnings; 160 variants: 160 ran, 0 failed, 0 not run"
    )


def test_a_negated_gradient_key_fails_naming_file_line_and_question(bare_app: Flask, tmp_path: Path) -> None:
    path, line = _gradient_copy(tmp_path, "      answer = -np.outer(r, x)\n")
    result = _check(bare_app, str(path), "--variants", "10", "--seed", "0")  # a random draw may add a warning
    assert result.exit_code == 1
    (problem,) = result.stdout.splitlines()
    assert problem.startswith(f"{path}:{line}: linear-grad: gradient check failed: answer[")
    # the worst entry names the analytic and the numeric value, and the seed that shows it
    assert "but finite differences of gradient_of w.r.t. W gives" in problem and "(seed " in problem
    assert result.stderr.splitlines()[-1].startswith("FAILED: 1 banks, 2 questions, 1 errors")


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        ("      import os\n", "import statements are not allowed"),
        ("      answer = __import__('os').getcwd()\n", "__import__"),
        ("      answer = open('/etc/passwd').read()\n", "open"),
        ("      answer = ().__class__.__bases__[0].__subclasses__()\n", "attribute names starting with '_'"),
    ],
)
def test_author_code_reaching_for_the_system_fails(
    bare_app: Flask, tmp_path: Path, replacement: str, message: str
) -> None:
    path, line = _gradient_copy(tmp_path, replacement)
    result = _check(bare_app, str(path), "--variants", "3")
    assert result.exit_code == 1
    problems = result.stdout.splitlines()
    assert any(p.startswith(f"{path}:{line}: linear-grad: ") and message in p for p in problems), problems


def test_a_yaml_syntax_error_gives_file_line_and_column(bare_app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "week05-grad.yaml"
    path.write_text(
        GRADIENT_BANK.read_text().replace("    title: Derivative of the sigmoid", "    title: Derivative: sigmoid")
    )
    line = path.read_text().splitlines().index("    title: Derivative: sigmoid") + 1
    result = _check(bare_app, str(path))
    assert result.exit_code == 1
    (problem,) = result.stdout.splitlines()
    assert problem.startswith(f"{path}:{line}:")
    assert "YAML syntax error" in problem and "': ' must be quoted" in problem


def test_json_lists_every_problem_as_an_object(bare_app: Flask, tmp_path: Path) -> None:
    path, line = _gradient_copy(tmp_path, "      answer = -np.outer(r, x)\n")
    text = path.read_text().replace("    points: 1\n", "    points: 1\n    tolerence: {rtol: 0.01}\n", 1)
    path.write_text(text)
    result = _check(bare_app, str(path), "--json", "--variants", "5")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert isinstance(problems, list) and all(isinstance(p, dict) for p in problems)
    assert {tuple(sorted(p)) for p in problems} == {("column", "line", "message", "path", "question", "severity")}
    messages = [(p["question"], p["severity"], p["message"]) for p in problems]
    assert ("sigmoid-grad", "error", "unknown key 'tolerence', did you mean 'tolerance'?") in messages


def test_json_carries_warnings_with_their_severity(bare_app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "week06-product.yaml"
    path.write_text(RTOL_ONLY_BANK)
    result = _check(bare_app, str(path), "--json", "--variants", "30", "--seed", "0")
    problems = json.loads(result.stdout)
    assert result.exit_code == 0, problems
    assert [(p["severity"], p["question"], p["line"]) for p in problems] == [("warning", "product", 13)]
    assert "rtol has no effect where the key is 0" in problems[0]["message"]


def test_explain_shows_one_variant_its_values_its_key_and_every_check(bare_app: Flask) -> None:
    result = _check(bare_app, str(OLD_WEEK06), "--explain", "2", "batchnorm-grad")
    assert result.exit_code == 1, result.output  # the old bank's careful-student check fails for seed 2
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{OLD_WEEK06}:") and lines[0].endswith(": batchnorm-grad, variant seed 2")
    assert r"$x = \begin{bmatrix}2\\-2\\-3\\-1\end{bmatrix}$" in result.stdout  # the text with its numbers
    assert "  x = [2, -2, -3, -1]" in lines and "  G = [2, 0, -2, -1]" in lines
    assert any(line.startswith("Key: [0.05727, 0.5154, -0.1718, -0.4009]") for line in lines)
    shown = "  ok    the key as shown (4 significant digits) grades correct: [0.05727, 0.5154, -0.1718, -0.4009]"
    assert shown in lines
    careful = [line for line in lines if line.startswith("  FAIL  a careful student")]
    assert len(careful) == 1 and "answer[0] = 0.05727 but" in careful[0] and "0.05793" in careful[0]


def test_explain_a_variant_that_passes(bare_app: Flask) -> None:
    result = _check(bare_app, str(GRADIENT_BANK), "--explain", "7", "linear-grad")
    assert result.exit_code == 0, result.output
    checks = result.stdout.split("Checks:\n")[1].splitlines()
    assert checks and all(line.startswith("  ok    ") for line in checks), checks


@pytest.mark.parametrize(
    ("arguments", "exit_code", "message"),
    [
        (["--explain", "7", "no-such-question"], 1, "no question 'no-such-question'"),
        (["--explain", "-1", "linear-grad"], 2, "-1 is not in the range"),
    ],
)
def test_explain_refuses_what_it_cannot_find(
    bare_app: Flask, arguments: list[str], exit_code: int, message: str
) -> None:
    result = _check(bare_app, str(GRADIENT_BANK), *arguments)
    assert result.exit_code == exit_code, result.output
    assert message in result.output


def test_an_empty_folder_is_not_a_pass(bare_app: Flask, tmp_path: Path) -> None:
    result = _check(bare_app, str(tmp_path))
    assert result.exit_code == 1
    assert "no bank files" in result.stdout


def test_help_for_check_and_regrade(bare_app: Flask) -> None:
    for command in ("check", "regrade", "sync"):
        result = bare_app.test_cli_runner().invoke(args=["quiz", command, "--help"])
        assert result.exit_code == 0, result.output
    assert "--dry-run" in bare_app.test_cli_runner().invoke(args=["quiz", "regrade", "--help"]).output


def test_the_real_command_line(tmp_path: Path) -> None:
    """The command as an instructor types it, in its own process."""
    path, line = _gradient_copy(tmp_path, "      answer = np.outer(r, x\n")
    env = {**os.environ, "QUIZ_ENV": "testing", "QUIZ_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    done = subprocess.run(  # nosec B603
        [sys.executable, "-m", "flask", "--app", "app", "quiz", "check", str(path), "--variants", "2"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith(f"{path}:{line}: linear-grad: syntax error in solution"), done.stdout


# ---------------------------------------------------------------- sync


@pytest.fixture
def synced(make_app: Callable[..., Flask], tmp_path: Path) -> tuple[Flask, Path]:
    folder = tmp_path / "questions"
    folder.mkdir()
    path = folder / "week01-test.yaml"
    path.write_text((FIXTURES / "banks" / "week01-test.yaml").read_text())
    app = make_app(QUESTIONS_DIR=str(folder))
    result = app.test_cli_runner().invoke(args=["quiz", "sync"])
    assert result.exit_code == 0, result.output
    assert f"{path}: week 1: new" in result.output
    return app, path


def test_a_broken_bank_is_refused_and_the_last_good_version_keeps_serving(synced: tuple[Flask, Path]) -> None:
    app, path = synced
    with app.app_context():
        good = served_bank(1).version.content_hash
    path.write_text(path.read_text().replace("answer = a * b + 0.5", "answer = a * b + float('nan')"))
    result = app.test_cli_runner().invoke(args=["quiz", "sync"])
    assert result.exit_code == 1
    assert f"{path}: week 1: refused" in result.output
    assert "scale: answer is not finite" in result.output
    with app.app_context():
        assert served_bank(1).version.content_hash == good

    client = app.test_client()
    with app.app_context():
        create_user("learner@uni.example", "correct horse battery", role="student")
        create_user("teacher@uni.example", "correct horse battery", role="instructor")
        db.session.commit()
    auth = AuthActions(client)
    auth.login("learner@uni.example")
    page = client.get("/weeks/1")
    assert page.status_code == 200 and "Scaling" in page.get_data(as_text=True)
    auth.logout()
    auth.login("teacher@uni.example")
    banks = client.get("/instructor/banks").get_data(as_text=True)
    assert "✘ refused" in banks
    assert "answer is not finite" in banks
    assert good[:12] in banks


def test_a_second_sync_of_the_same_bank_changes_nothing(synced: tuple[Flask, Path]) -> None:
    app, path = synced
    result = app.test_cli_runner().invoke(args=["quiz", "sync"])
    assert result.exit_code == 0
    assert f"{path}: week 1: unchanged" in result.output
    with app.app_context():
        assert sync_banks([path], variants=0).files[0].outcome == "unchanged"
