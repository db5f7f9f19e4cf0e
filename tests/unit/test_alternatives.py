"""Alternative keys (`answer: {any_of: ...}`), draw-dependent shapes and constant parameters: grading against
the closest key, `quiz check` verifying each, and the sandbox returning them."""
from __future__ import annotations

from typing import Any

import pytest

from quizserver.bank import load_bank
from quizserver.bank.verify import verify_bank
from quizserver.grading import AnswerSpec, Status, Tolerance, alternatives, any_of, first_key, grade
from quizserver.sandbox import get_runner

SIGN = any_of([[0.6, 0.8], [-0.6, -0.8]])


@pytest.mark.parametrize(
    ("key", "raw", "status", "mistake", "message"),
    [
        (SIGN, "[0.6, 0.8]", "correct", None, "Correct."),
        (SIGN, "[-0.6, -0.8]", "correct", None, "Correct."),
        # wrong: the feedback is about the closest key
        (SIGN, "[1.2, 1.6]", "incorrect", "factor", "Not correct. It is off by a constant factor of about 2."),
        (SIGN, "[-1.2, -1.6]", "incorrect", "factor", "Not correct. It is off by a constant factor of about 2."),
        (SIGN, "[0.6, ", "invalid", None, ""),
        # alternatives of different shapes: the answer's own shape picks the key
        (any_of([[1.0, 2.0], [[1.0, 2.0], [3.0, 4.0]]]), "[[1, 2], [3, 4]]", "correct", None, "Correct."),
        (any_of([[1.0, 2.0], [[1.0, 2.0], [3.0, 4.0]]]), "[1, 2]", "correct", None, "Correct."),
        # ties of an arg-max
        (any_of([0, 2]), "2", "correct", None, "Correct."),
        (any_of([0, 2]), "1", "incorrect", "factor", "Not correct. It is off by a constant factor of about 0.5."),
        (any_of([0, 5]), "3", "incorrect", None, "Not correct."),
    ],
)
def test_grading_against_the_closest_key(key: Any, raw: str, status: str, mistake: str | None, message: str) -> None:
    qtype = "integer" if isinstance(first_key(key), int) else "matrix"
    found = grade(AnswerSpec(type=qtype), key, raw)
    assert found.status == Status(status)
    assert found.mistake == mistake
    assert found.message.startswith(message)


def test_an_empty_list_of_keys_is_the_authors_error() -> None:
    with pytest.raises(ValueError, match="at least one key"):
        alternatives({"any_of": []})
    assert alternatives(2.0) == [2.0] and first_key(SIGN) == [0.6, 0.8]


HEAD = """\
version: 1
week: 3
title: t
questions:
"""

EIGEN = """\
  - id: q
    type: matrix
    points: 1
    text: A unit vector orthogonal to {{ a }}.
    params:
      a: {randint: [-4, 4], shape: [2]}
    require: np.all(a != 0)
    solution: |
      u = np.array([-a[1], a[0]]) / np.linalg.norm(a)
      minus_u = -u
    ANSWER
    tolerance: {decdig: 2}
    CHECK
"""


def _verify(body: str) -> list[str]:
    bank, problems = load_bank(HEAD + body, "week03.yaml")
    assert bank is not None, [str(p) for p in problems]
    return [p.message for p in verify_bank(bank, variants=25)]


@pytest.mark.parametrize(
    ("answer", "check", "found"),
    [
        ("answer: {any_of: [u, minus_u]}", "check: {equals: '[np.array([a[1], -a[0]]) / math.hypot(*a), "
         "np.array([-a[1], a[0]]) / math.hypot(*a)]'}", []),
        # one key alone: its negative would be told "sign flipped", and the check still agrees
        ("answer: u", "check: {equals: 'np.array([-a[1], a[0]]) / math.hypot(*a)'}", []),
        # with alternatives, equals must list them all
        ("answer: {any_of: [u, minus_u]}", "check: {equals: 'np.array([-a[1], a[0]]) / math.hypot(*a)'}",
         ["with any_of, the equals formula must give the list of the 2 acceptable keys"]),
        # a list that disagrees with one of the keys
        ("answer: {any_of: [u, minus_u]}", "check: {equals: '[np.array([-a[1], a[0]]) / math.hypot(*a), "
         "np.array([-a[1], a[0]]) / math.hypot(*a)]'}", ["equals check failed"]),
    ],
)
def test_check_verifies_each_key(answer: str, check: str, found: list[str]) -> None:
    problems = _verify(EIGEN.replace("ANSWER", answer).replace("CHECK", check))
    assert len(problems) == len(found), problems
    for expected, message in zip(found, problems, strict=True):
        assert message.startswith(expected), message


def test_a_name_holding_a_list_of_keys_may_vary_in_count() -> None:
    body = """\
  - id: ties
    type: integer
    points: 1
    text: The index of a largest entry of {{ x }}.
    params:
      x: {randint: [0, 3], shape: [6]}
    solution: |
      keys = [i for i in range(6) if x[i] == x.max()]
    answer: {any_of: keys}
"""
    bank, problems = load_bank(HEAD + body, "week03.yaml")
    assert bank is not None, [str(p) for p in problems]
    question = bank.questions[0]
    runner = get_runner()
    counts = set()
    for seed in range(12):
        result = runner.generate_many([p.as_dict() for p in question.params], None, question.solution, [seed],
                                      answers=("keys",), alternatives=("keys",))[0]
        key = question.key_from(result["names"])
        counts.add(len(alternatives(key)))
        for index in alternatives(key):
            assert grade(question.answer_spec(), key, str(index)).status is Status.CORRECT
    assert len(counts) > 1


def test_a_shape_that_depends_on_the_draw_passes_quiz_check() -> None:
    body = """\
  - id: strided
    type: matrix
    points: 1
    text: Every {{ stride }}-th entry of {{ x }}, as a vector.
    params:
      x: {randint: [1, 9], shape: [6]}
      stride: {choice: [1, 2, 3]}
    solution: answer = x[::stride] * 1.0
    check: {equals: "np.array([x[i] for i in range(0, 6, stride)])"}
"""
    assert [m for m in _verify(body) if "distinct answers" not in m] == []


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        ("eps: 1.0e-5", 1e-5),
        ("eps: 3", 3),
        ("eps: [1, 0, -1]", [1, 0, -1]),
        ("eps: [[1, 2], [3, 4]]", [[1, 2], [3, 4]]),
    ],
)
def test_a_plain_number_is_a_constant_parameter(spec: str, value: Any) -> None:
    body = f"""\
  - id: c
    type: numeric
    points: 1
    text: Give {{{{ k }}}}.
    params:
      k: {{randint: [1, 1000]}}
      {spec}
    solution: answer = float(k)
"""
    bank, problems = load_bank(HEAD + body, "week03.yaml")
    assert bank is not None, [str(p) for p in problems]
    eps = bank.questions[0].params[1]
    assert (eps.kind, eps.args) == ("constant", (value,))
    with_constant = get_runner().generate([p.as_dict() for p in bank.questions[0].params], None, None, 7)
    without = get_runner().generate([bank.questions[0].params[0].as_dict()], None, None, 7)
    assert with_constant["params"]["eps"] == value
    # a constant takes nothing from the draws: the other parameters are the same without it
    assert with_constant["params"]["k"] == without["params"]["k"]


def test_the_sandbox_requires_the_named_answers() -> None:
    runner = get_runner()
    (missing,) = runner.generate_many([], None, "y = 1", [0], answers=("z",))
    assert getattr(missing, "message", "") == "solution did not assign `z`"
    (listed,) = runner.generate_many([], None, "ks = [1, [2, 3]]", [0], answers=("ks",), alternatives=("ks",))
    assert isinstance(listed, dict) and listed["names"]["ks"] == [1, [2, 3]]
    (bad,) = runner.generate_many([], None, "ks = 4", [0], answers=("ks",), alternatives=("ks",))
    assert "must be a non-empty list of acceptable keys" in getattr(bad, "message", "")


def test_tolerance_is_kept_by_any_of_grading() -> None:
    spec = AnswerSpec(type="numeric", tolerance=Tolerance(sigfig=3))
    assert grade(spec, any_of([1.2345, -1.2345]), "-1.23").status is Status.CORRECT
    assert "Not enough precision" in grade(spec, any_of([1.2345, -1.2345]), "-1.2").message
