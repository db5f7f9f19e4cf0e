"""The careful-student check: a key must survive being computed from the shown values with every step rounded
to 4 significant digits, and keys must vary enough that students do not share answers."""
from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from quizserver.bank import Bank, load_bank, load_bank_file
from quizserver.bank.pool import build_bank_pools, pool_seeds
from quizserver.bank.verify import explain_variant, verify_bank, verify_seeds
from quizserver.sandbox import AuthorError, get_runner
from quizserver.sandbox.rounding import Rounder, round_to_shown

OLD_WEEK06 = Path(__file__).parents[1] / "fixtures" / "rounding" / "week06-old.yaml"
HEADER = "version: 1\nweek: 3\ntitle: Rounding\nquestions:\n"


def bank_of(question: str) -> Bank:
    """A one-question bank; the question's YAML starts on line 5."""
    bank, problems = load_bank(HEADER + textwrap.indent(textwrap.dedent(question), "  "), "week03.yaml")
    assert bank is not None, [str(p) for p in problems]
    return bank


@pytest.fixture(scope="module")
def old_week06() -> Bank:
    bank, _ = load_bank_file(OLD_WEEK06)
    assert bank is not None
    return bank


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.057926, 0.05793),
        (-1.479019945774904, -1.479),
        (12345.6, 12350.0),
        (1.23456e-7, 1.235e-7),
        (3.0, 3.0),  # whole numbers are shown in full
        (123456.0, 123456.0),
        (0.25, 0.25),
        (0.0, 0.0),
    ],
)
def test_values_round_as_the_page_shows_them(value: float, shown: float) -> None:
    assert Rounder()(value) == pytest.approx(shown, rel=1e-12)
    assert round_to_shown(np.array([value]))[0] == pytest.approx(shown, rel=1e-12)


def test_rounding_keeps_types_and_what_4_digits_hold() -> None:
    exact = np.array([1, 2, 3])
    assert Rounder()(exact) is exact and Rounder()(7) == 7 and Rounder()(True) is True
    assert Rounder()([0.123456, 2]) == [0.1235, 2]
    assert np.isnan(Rounder()(float("nan"))) and Rounder()(float("inf")) == float("inf")
    jittered = Rounder(np.random.default_rng(0))
    assert jittered(0.25) == 0.25 and jittered(3.0) == 3.0
    assert abs(jittered(0.123456) - 0.123456) <= 0.00005


@pytest.mark.parametrize(
    ("solution", "params", "plain"),
    [
        pytest.param("third = x / 3\nanswer = third * 3", {"x": 1}, 0.9999, id="every-assignment"),
        pytest.param("total = 0.0\nfor i in range(3):\n    total += x / 3\nanswer = total", {"x": 1}, 0.9999,
                     id="augmented-in-a-loop"),
        pytest.param("def f(v):\n    return v / 3\nanswer = f(x) * 3", {"x": 1}, 0.9999, id="return"),
        pytest.param("answer = x * 2", {"x": 0.123456}, 0.247, id="shown-parameters"),
        pytest.param("answer = (x / 3) * 3", {"x": 1}, 1.0, id="not-inside-an-expression"),
    ],
)
def test_the_careful_student_rounds_the_steps_the_solution_names(solution: str, params: dict, plain: float) -> None:
    (answers,) = get_runner().careful_answers(solution, [(5, params)], trials=2)
    assert isinstance(answers, list) and len(answers) == 3
    assert answers[0] == pytest.approx(plain, rel=1e-12)
    assert all(abs(answer - plain) < 0.001 for answer in answers[1:])


@pytest.mark.parametrize(
    ("solution", "message"),
    [
        ("import os\nanswer = 1", "import statements are not allowed"),
        ("answer = __rounded_step__", "names starting with '__'"),
    ],
)
def test_the_careful_run_keeps_the_policy(solution: str, message: str) -> None:
    (error,) = get_runner().careful_answers(solution, [(0, {"x": 1})], trials=1)
    assert isinstance(error, AuthorError) and error.kind == "forbidden" and message in error.message


WELL_CONDITIONED = """\
- id: q
  type: matrix
  points: 1
  text: Normalize {{ v }}.
  params:
    v: {uniform: [1, 5], shape: [3], round: 2}
  solution: |
    total = np.sum(v)
    answer = v / total
"""
# 1 - a / b nearly cancels: the 4 digits a student keeps of a / b leave few of the answer
CANCELLING = """\
- id: q
  type: numeric
  points: 1
  text: Compute 1 - {{ a }} / {{ b }} for both near 1.
  params:
    a: {uniform: [0.95, 1.05]}
    b: {uniform: [0.95, 1.05]}
  solution: |
    ratio = a / b
    answer = 1 - ratio
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param(WELL_CONDITIONED, [], id="well-conditioned"),
        pytest.param(
            CANCELLING,
            ["week03.yaml:14: q: a careful student is marked wrong in "],
            id="cancelling-at-the-answer-line",
        ),
        pytest.param(
            CANCELLING + "  tolerance: {rtol: 0.01, atol: 0.01}\n",
            [],
            id="an-atol-covers-the-rounding",
        ),
        pytest.param(
            CANCELLING + "  tolerance: {rtol: 0.01}\n",
            ["week03.yaml:15: q: a careful student is marked wrong in "],
            id="reported-at-the-tolerance-line",
        ),
    ],
)
def test_careful_student(question: str, expected: list[str]) -> None:
    found = [str(p) for p in verify_bank(bank_of(question), variants=40) if "careful student" in p.message]
    assert len(found) == len(expected), found
    for problem, start in zip(found, expected, strict=True):
        assert problem.startswith(start), found


def test_the_message_names_seed_entry_both_values_and_the_fixes() -> None:
    (problem,) = [p for p in verify_bank(bank_of(CANCELLING), variants=40) if "careful student" in p.message]
    assert problem.severity == "error"
    message = problem.message
    assert "for seed " in message and "answer = " in message and "it comes out " in message
    assert "% off; tolerance rtol=0.01, atol=1e-06" in message
    assert "keep such draws out with `require`, or allow for the rounding with atol >= " in message


@pytest.mark.parametrize(
    ("question_id", "seed", "entry", "key", "careful"),
    [
        ("batchnorm-grad", 2, "answer[0]", "0.05727", "0.05793"),
        ("batchnorm-forward", 19, "answer[3, 1]", "0.01212", "0.0123"),
    ],
)
def test_the_old_week06_batch_norm_questions_fail(
    old_week06: Bank, question_id: str, seed: int, entry: str, key: str, careful: str
) -> None:
    question = old_week06.question(question_id)
    assert question is not None
    verification = verify_seeds(old_week06, question, [seed], get_runner())
    (problem,) = verification.problems
    assert problem.severity == "error" and verification.failed_checks == {seed}
    assert f"for seed {seed}, {entry} = {key} but from the values as shown, rounding every step" in problem.message
    assert f"it comes out {careful} " in problem.message


@pytest.mark.parametrize(("question_id", "at_least"), [("batchnorm-grad", 10), ("batchnorm-forward", 1)])
def test_the_old_week06_pools_are_refused(old_week06: Bank, question_id: str, at_least: int) -> None:
    question = old_week06.question(question_id)
    assert question is not None
    seeds = pool_seeds(old_week06.week, question_id, 200)
    verification = verify_seeds(old_week06, question, seeds, get_runner())
    (problem,) = [p for p in verification.problems if "careful student" in p.message]
    assert problem.severity == "error"
    assert len(verification.failed_checks) >= at_least
    assert verification.failed_checks <= set(seeds)


def test_sync_refuses_the_pool(old_week06: Bank) -> None:
    question = old_week06.question("batchnorm-grad")
    assert question is not None
    (pool,) = build_bank_pools(replace(old_week06, questions=(question,)), 200, get_runner())
    assert not pool.ok and pool.entries == () and pool.failed >= 10
    assert any("careful student is marked wrong" in p.message for p in pool.problems)


def test_the_old_week06_other_questions_pass(old_week06: Bank) -> None:
    others = [q for q in old_week06.questions if not q.id.startswith("batchnorm")]
    for question in others:
        seeds = pool_seeds(old_week06.week, question.id, 60)
        assert verify_seeds(old_week06, question, seeds, get_runner()).problems == [], question.id


def test_a_solution_that_fails_on_rounded_values_is_a_warning() -> None:
    question = WELL_CONDITIONED.replace("answer = v / total", "assert total == np.sum(v)\n    answer = v / total")
    problems = verify_bank(bank_of(question), variants=30)
    assert [p.severity for p in problems] == ["warning"], [str(p) for p in problems]
    assert problems[0].message.startswith("the rounding check could not run in ")


FEW_ANSWERS = """\
- id: q
  type: integer
  points: 1
  text: Add {{ a }} and {{ b }}.
  params:
    a: {randint: [0, 3]}
    b: {randint: [0, 3]}
  solution: answer = a + b
"""


@pytest.mark.parametrize(
    ("question", "variants", "warned"),
    [
        pytest.param(FEW_ANSWERS, 40, True, id="7-answers-in-40"),
        pytest.param(FEW_ANSWERS, 19, False, id="too-few-draws-to-tell"),
        pytest.param(FEW_ANSWERS.replace("[0, 3]", "[0, 30]"), 40, False, id="wide-ranges"),
        pytest.param(
            "- id: q\n  type: numeric\n  points: 1\n  text: Give 2.\n  solution: answer = 2\n", 40, False,
            id="no-random-params",
        ),
    ],
)
def test_variety(question: str, variants: int, warned: bool) -> None:
    problems = [p for p in verify_bank(bank_of(question), variants=variants) if "students share" in p.message]
    assert len(problems) == warned, problems
    if warned:
        expected = "week03.yaml:9: q: warning: only 7 distinct answers in 40 variants (about 7 in all)"
        assert str(problems[0]).startswith(expected)


def test_explain_gives_every_verdict_for_one_seed(old_week06: Bank) -> None:
    question = old_week06.question("batchnorm-grad")
    assert question is not None
    explained = explain_variant(old_week06, question, 2)
    assert explained.sample is not None and explained.sample.params["x"] == [2, -2, -3, -1]
    verdicts = {o.check: o.passed for o in explained.outcomes}
    assert verdicts == {
        "every {{ name }} resolves": True,
        "the key is a well-formed answer": True,
        "the key as shown (4 significant digits) grades correct": True,
        "the key scaled by 1.1 grades wrong": True,
        "the key with its sign flipped grades wrong": True,
        "finite differences of gradient_of w.r.t. x agrees with the key": True,
        "a careful student (4 significant digits) is marked right": False,
    }
    assert not explained.ok
