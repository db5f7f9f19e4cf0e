"""`tolerance: {sigfig: d}` and `{decdig: d}`: PrairieLearn's rules, the hint, "not enough precision",
and `quiz check` applying the same rule."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest

from quizserver.bank import load_bank
from quizserver.bank.verify import verify_bank
from quizserver.grading import AnswerSpec, Status, Tolerance, grade, within
from quizserver.grading.alternatives import key_text
from quizserver.grading.grade import tolerance_bound, too_few_digits

SIG3 = Tolerance(sigfig=3)
DEC2 = Tolerance(decdig=2)


@pytest.mark.parametrize(
    ("tolerance", "key", "answer", "right"),
    [
        # the examples in docs/authoring.md
        (SIG3, 0.0002496, 0.000250, True),
        (SIG3, 0.0002496, 0.000249, False),
        (SIG3, 3.14159, 3.14, True),
        (SIG3, 3.14159, 3.142, True),
        (SIG3, 3.14159, 3.15, False),
        (DEC2, 0.0002496, 0.00, True),
        (DEC2, 0.0002496, 0.005, True),
        (DEC2, 0.0002496, 0.01, False),
        (DEC2, 3.14159, 3.14, True),
        (DEC2, 3.14159, 3.145, True),
        (DEC2, 3.14159, 3.13, False),
        # the scale of the key sets the digit for sigfig, not for decdig
        (SIG3, 12345.0, 12300.0, True),
        (SIG3, 12345.0, 12400.0, False),
        (SIG3, -0.5389, -0.539, True),
        (SIG3, -0.5389, 0.539, False),
        # a key of 0: its first digit counts as the units place
        (SIG3, 0.0, 0.004, True),
        (SIG3, 0.0, 0.006, False),
        # within 0.51 units of the last digit asked for, and not beyond
        (Tolerance(decdig=1), 1.0, 1.05, True),
        (Tolerance(decdig=1), 1.0, 1.052, False),
    ],
)
def test_the_digit_rules(tolerance: Tolerance, key: float, answer: float, right: bool) -> None:
    assert bool(within(answer, key, tolerance)) is right


def test_the_bound_for_sigfig_follows_each_entry_of_the_key() -> None:
    bound = tolerance_bound([0.0123, 4.56, 789.0], SIG3)
    np.testing.assert_allclose(bound, [0.51e-4, 0.51e-2, 0.51])


@pytest.mark.parametrize(
    ("raw", "tolerance", "few"),
    [
        ("0.54", SIG3, True),
        ("0.539", SIG3, False),
        ("0.5390", SIG3, False),
        ("5.4e-1", SIG3, True),
        ("120", SIG3, False),
        ("[0.5, 0.123]", SIG3, True),
        ("[[0.512, 0.123], [1.00, 2.00]]", SIG3, False),
        ("exp(-1)", SIG3, False),  # an expression has as many digits as it needs
        ("0.1", DEC2, True),
        ("0.10", DEC2, False),
        ("1.5e-2", DEC2, False),
        ("0.54", Tolerance(), False),  # no digit rule, no precision message
    ],
)
def test_counting_the_digits_typed(raw: str, tolerance: Tolerance, few: bool) -> None:
    assert too_few_digits(raw, tolerance) is few


@pytest.mark.parametrize(
    ("qtype", "key", "raw", "status", "message"),
    [
        ("numeric", -0.5389, "-0.54", "incorrect", "Not correct. Not enough precision: give 3 significant figures."),
        ("numeric", -0.5389, "-0.539", "correct", "Correct."),
        ("numeric", -0.5389, "-0.538", "incorrect", "Close, but not within the tolerance (3 significant figures)"),
        ("numeric", -0.5389, "0.539", "incorrect", "Not correct. The sign is flipped."),
        ("matrix", [0.1234, 0.5678], "[0.12, 0.57]", "incorrect",
         "Not correct. Not enough precision: give 3 significant figures."),
        ("matrix", [0.1234, 0.5678], "[0.123, 0.568]", "correct", "Correct."),
    ],
)
def test_grading_with_sigfig(qtype: str, key, raw: str, status: str, message: str) -> None:
    found = grade(AnswerSpec(type=qtype, tolerance=SIG3), key, raw)
    assert found.status == Status(status)
    assert found.message.startswith(message)


def test_the_key_is_shown_with_the_digits_its_rule_asks_for() -> None:
    assert key_text(1.234567, Tolerance()) == "1.235"
    assert key_text(1.234567, Tolerance(sigfig=6)) == "1.23457"
    assert key_text(1234.5678, Tolerance(decdig=2)) == "1234.57"
    assert key_text({"any_of": [[0.6, 0.8], [-0.6, -0.8]]}, DEC2) == "[0.6, 0.8] or [-0.6, -0.8]"


BANK = """\
version: 1
week: 3
title: t
questions:
  - id: q
    type: numeric
    points: 1
    text: Compute {{ a }} over 7.
    params:
      a: {uniform: [1, 9], round: 2}
    solution: |
      answer = a / 7
    tolerance: TOLERANCE
"""


def _problems(tolerance: str) -> list[str]:
    bank, problems = load_bank(BANK.replace("TOLERANCE", tolerance), "week03.yaml")
    assert bank is not None, [str(p) for p in problems]
    return [str(p) for p in verify_bank(bank, variants=30)]


@pytest.mark.parametrize(
    ("tolerance", "found"),
    [
        ("{sigfig: 3}", []),
        ("{decdig: 2}", []),
        ("{sigfig: 1}", ["the key scaled by 1.1 still grades correct"]),
        # a key near 1 to 3 decimals needs 4 significant digits: the last one a careful student may miss
        ("{decdig: 3}", ["a careful student is marked wrong", "tolerance decdig=3)"]),
        ("{decdig: 0}", ["decdig must be between 1 and 12, got 0"]),
    ],
)
def test_quiz_check_applies_the_rule(tolerance: str, found: list[str]) -> None:
    if "decdig: 0" in tolerance:
        _, problems = load_bank(BANK.replace("TOLERANCE", tolerance), "week03.yaml")
        assert [p.message for p in problems] == found
        return
    problems = _problems(tolerance)
    assert all(any(f in p for p in problems) for f in found), problems
    assert bool(problems) == bool(found), problems


@pytest.mark.parametrize(
    ("tolerance", "message"),
    [
        ("{sigfig: 3, rtol: 0.01}", "tolerance sigfig stands alone; remove rtol"),
        ("{sigfig: 2.5}", "sigfig must be a whole number, got 2.5"),
        ("{sigfig: 13}", "sigfig must be between 1 and 12, got 13"),
        ("{sigfigs: 3}", "unknown key 'sigfigs', did you mean 'sigfig'?"),
    ],
)
def test_the_validator_refuses_a_malformed_digit_rule(tolerance: str, message: str) -> None:
    text = textwrap.dedent(BANK).replace("TOLERANCE", tolerance)
    bank, problems = load_bank(text, "week03.yaml")
    assert bank is None
    assert [p.message for p in problems if p.severity == "error"][0] == message
