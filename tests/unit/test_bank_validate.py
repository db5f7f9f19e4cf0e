"""Bank validation: each rule as one mutation of a small valid bank, with its message and line."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizserver.bank import Bank, Check, ParamSpec, Problem, load_bank, validate_bank
from quizserver.grading import Tolerance

PATH = "questions/week03.yaml"

# line numbers in the comments are the ones the tables below refer to
VALID = """\
version: 1
week: 3
title: Deep neural networks
opens: 2026-04-24T00:00:00+02:00
closes: 2026-05-01T23:59:00+02:00
questions:
  - id: mlp-grad
    type: matrix
    points: 2
    text: |
      With $x = {{ x }}$ and $W = {{ W1 }}$,
      compute the gradient of the squared error.
    params:
      x: {normal: [0, 1], shape: [3], round: 1}
      W1: {randint: [-2, 2], shape: [2, 3]}
      y: {randint: [-1, 1]}
    require: np.all(np.abs(W1 @ x) > 0.05)
    solution: |
      r = W1 @ x - y
      answer = np.outer(r, x)
    check:
      gradient_of: 0.5 * np.sum((W1 @ x - y) ** 2)
      wrt: W1
    tolerance: {rtol: 0.01, atol: 1.0e-6}
    explanation: |
      The residual is {{ r }}.
  - id: why-relu
    type: single_choice
    points: 1
    text: Why ReLU?
    choices:
      - text: It does not saturate for positive inputs.
        correct: true
      - text: It is bounded.
        feedback: "No: it is unbounded above."
"""
# line 7: first question, 13: params, 14/15/16: x/W1/y, 17: require, 18: solution (code from 19),
# 21: check, 24: tolerance, 25: explanation, 27: second question, 31: choices, 32/34: the choices

GRAD = "mlp-grad"
RELU = "why-relu"


CHOICES = VALID[VALID.index("    choices:\n"):]


def mutate(old: str | tuple[str, ...], new: str | tuple[str, ...]) -> str:
    """VALID with each `old` (which must occur exactly once) replaced by its `new`."""
    olds, news = ((old,), (new,)) if isinstance(old, str) else (old, new)
    text = VALID
    for before, after in zip(olds, news, strict=True):
        assert text.count(before) == 1, f"mutation target {before!r} must occur exactly once"
        text = text.replace(before, after)
    return text


def test_the_base_bank_is_valid() -> None:
    bank, problems = load_bank(VALID, PATH)
    assert problems == []
    assert isinstance(bank, Bank)


# (old, new, expected line, question id, message fragment): each mutation makes exactly one error
ERROR_ROWS = [
    # top level
    ("version: 1", "version: 2", 1, None, "version must be 1, got 2"),
    ("week: 3\n", "", 1, None, "missing required key 'week'"),
    ("week: 3", "week: 100", 2, None, "week must be between 1 and 99, got 100"),
    ("week: 3", "week: true", 2, None, "week must be a whole number, got true"),
    ("week: 3", "week: '3'", 2, None, "week must be a whole number, got '3'"),
    ("title: Deep neural networks", 'title: ""', 3, None, "title must not be empty"),
    ("opens: 2026-04-24T00:00:00+02:00", "opens: next monday", 4, None,
     "opens must be a date and time such as 2026-05-01T23:59:00+02:00, got 'next monday'"),
    ("closes: 2026-05-01T23:59:00+02:00", "closes: 2026-04-23T00:00:00+02:00", 5, None,
     "closes (2026-04-23T00:00:00+02:00) must be after opens (2026-04-24T00:00:00+02:00)"),
    ("week: 3\n", "week: 3\nweeks: 4\n", 3, None, "unknown key 'weeks', did you mean 'week'?"),
    ("week: 3\n", "week: 3\nzzz: 4\n", 3, None,
     "unknown key 'zzz'; valid keys are version, week, title, opens, closes, variants, questions"),
    # question fields
    ("points: 2", "points: two", 9, GRAD, "points must be a whole number, got 'two'"),
    ("points: 2", "points: 2.5", 9, GRAD, "points must be a whole number, got 2.5"),
    ("points: 2", "points: 0", 9, GRAD, "points must be between 1 and 100, got 0"),
    ("    points: 2\n", "", 7, GRAD, "missing required key 'points'"),
    ("type: matrix", "type: matrx", 8, GRAD, "unknown type 'matrx', did you mean 'matrix'?"),
    ("id: mlp-grad", "id: MLP grad", 7, "MLP grad", "id 'MLP grad' may use only lowercase letters"),
    ("id: why-relu", "id: mlp-grad", 27, GRAD, "duplicate question id 'mlp-grad'; already used on line 7"),
    ("tolerance: {", "tolerence: {", 24, GRAD, "unknown key 'tolerence', did you mean 'tolerance'?"),
    ("text: Why ReLU?", "text: '  '", 30, RELU, "text must not be empty"),
    ("text: Why ReLU?", "text: [Why, ReLU]", 30, RELU, "text must be text, got ['Why', 'ReLU']"),
    ("    tolerance: {rtol: 0.01, atol: 1.0e-6}", "    partial: yes", 24, GRAD,
     "partial must be true or false, got 'yes'"),
    ("    tolerance: {rtol: 0.01, atol: 1.0e-6}", "    max_attempts: 0", 24, GRAD,
     "max_attempts must be at least 1, got 0"),
    ("    tolerance: {rtol: 0.01, atol: 1.0e-6}", "    penalty: 1.5", 24, GRAD,
     "penalty must be between 0 and 1, got 1.5"),
    # params
    ("y: {randint: [-1, 1]}", "_y: {randint: [-1, 1]}", 16, GRAD, "parameter name '_y' must not start with '_'"),
    ("y: {randint: [-1, 1]}", "np: {randint: [-1, 1]}", 16, GRAD, "parameter name 'np' is reserved"),
    ("y: {randint: [-1, 1]}", "2y: {randint: [-1, 1]}", 16, GRAD, "parameter name '2y' must be a Python name"),
    ("y: {randint: [-1, 1]}", "y: {randint: [-1, 1], normal: [0, 1]}", 16, GRAD,
     "parameter 'y' has normal and randint; give exactly one of them"),
    ("y: {randint: [-1, 1]}", "y: {}", 16, GRAD, "parameter 'y' needs one of uniform, normal, randint, choice"),
    ("y: {randint: [-1, 1]}", "y: three", 16, GRAD, "parameter 'y' must be a mapping such as {normal: [0, 1]}"),
    ("y: {randint: [-1, 1]}", "y: {randint: [1, -1]}", 16, GRAD, "randint for 'y' has low 1 above high -1"),
    ("y: {randint: [-1, 1]}", "y: {randint: [0, 1.5]}", 16, GRAD,
     "randint for 'y' must be two whole numbers [low, high], got [0, 1.5]"),
    ("y: {randint: [-1, 1]}", "y: {uniform: [0]}", 16, GRAD, "uniform for 'y' must be two numbers [low, high]"),
    ("y: {randint: [-1, 1]}", "y: {normal: [0, -1]}", 16, GRAD, "sigma must be zero or more"),
    ("y: {randint: [-1, 1]}", "y: {choice: []}", 16, GRAD, "choice for 'y' must be a list of numbers, got []"),
    ("y: {randint: [-1, 1]}", "y: {choice: [1, a]}", 16, GRAD, "choice for 'y' must list only numbers, got 'a'"),
    ("y: {randint: [-1, 1]}", "y: {randint: [-1, 1], shape: [2, 0]}", 16, GRAD,
     "shape for 'y' must be a positive whole number or a list of them, got [2, 0]"),
    ("y: {randint: [-1, 1]}", "y: {randint: [-1, 1], shap: 2}", 16, GRAD,
     "unknown key 'shap', did you mean 'shape'?"),
    ("round: 1}", "round: 13}", 14, GRAD, "round must be between 0 and 12, got 13"),
    # code: syntax errors point at the line inside the block
    ("require: np.all(np.abs(W1 @ x) > 0.05)", "require: np.all(np.abs(W1 @ x) >)", 17, GRAD,
     "syntax error in require"),
    ("answer = np.outer(r, x)", "answer = np.outer(r, x", 20, GRAD, "syntax error in solution"),
    ("answer = np.outer(r, x)", "answer == np.outer(r, x)", 18, GRAD, "solution never assigns answer"),
    ("      r = W1 @ x - y\n", "      import os\n      r = W1 @ x - y\n", 19, GRAD,
     "import statements are not allowed"),
    ("    require: np.all(np.abs(W1 @ x) > 0.05)", "    require: 3", 17, GRAD,
     "require must be Python code written as text, got 3"),
    (("    solution: |\n      r = W1 @ x - y\n      answer = np.outer(r, x)\n", "{{ r }}"), ("", "{{ y }}"), 7,
     GRAD, "missing required key 'solution'"),
    # check
    ("wrt: W1", "wrt: W2", 23, GRAD, "wrt 'W2' is not a parameter of this question (those are: x, W1, y)"),
    ("      wrt: W1\n", "", 21, GRAD, "missing required key 'wrt'"),
    ("      wrt: W1\n", "      wrt: W1\n      equals: answer\n", 21, GRAD, "not both"),
    ("      gradient_of: 0.5 * np.sum((W1 @ x - y) ** 2)\n      wrt: W1\n", "      equals: answer +\n", 22,
     GRAD, "syntax error in check equals"),
    ("      wrt: W1\n", "      wrt: W1\n      rtl: 0.1\n", 24, GRAD, "unknown key 'rtl', did you mean 'rtol'?"),
    ("      wrt: W1\n", "      wrt: W1\n      rtol: -0.1\n", 24, GRAD, "rtol must be zero or more, got -0.1"),
    # tolerance
    ("tolerance: {rtol: 0.01, atol: 1.0e-6}", "tolerance: {}", 24, GRAD, "a tolerance of zero matches almost nothing"),
    ("tolerance: {rtol: 0.01, atol: 1.0e-6}", "tolerance: {rtol: 0, atol: 0}", 24, GRAD,
     "a tolerance of zero matches almost nothing"),
    ("tolerance: {rtol: 0.01, atol: 1.0e-6}", "tolerance: {rtol: -0.01}", 24, GRAD,
     "rtol must be zero or more, got -0.01"),
    ("tolerance: {rtol: 0.01, atol: 1.0e-6}", "tolerance: 0.01", 24, GRAD,
     "tolerance must be a mapping such as {rtol: 0.01, atol: 1.0e-6}, got 0.01"),
    # placeholders
    ("{{ r }}", "{{ q }}", 26, GRAD, "unknown name 'q' in explanation"),
    ("$W = {{ W1 }}$", "$W = {{ W }}$", 11, GRAD, "unknown name 'W' in text"),
    ("the squared error.", "the squared error {{ g }}.", 12, GRAD, "unknown name 'g' in text"),
    # choice questions
    ("text: Why ReLU?\n", "text: Why ReLU?\n    solution: answer = 1\n", 31, RELU,
     "single_choice questions take no solution"),
    ("text: Why ReLU?\n", "text: Why ReLU?\n    tolerance: {rtol: 0.1}\n", 31, RELU,
     "single_choice questions take no tolerance"),
    ("text: Why ReLU?\n", "text: Why ReLU?\n    check: {equals: answer}\n", 31, RELU,
     "single_choice questions take no check"),
    ('      - text: It is bounded.\n        feedback: "No: it is unbounded above."\n', "", 31, RELU,
     "choices must be a list of at least two choices, got 1"),
    ("feedback: \"No: it is unbounded above.\"", "correct: true", 31, RELU,
     "needs exactly one correct choice, got 2"),
    ("        correct: true\n", "        feedback: Wrong.\n", 31, RELU, "needs exactly one correct choice, got 0"),
    (("type: single_choice", 'feedback: "No: it is unbounded above."'), ("type: multiple_choice", "correct: true"),
     31, RELU, "a multiple_choice question needs at least one choice that is not correct"),
    (("type: single_choice", "        correct: true\n"), ("type: multiple_choice", "        feedback: No.\n"), 31, RELU,
     "a multiple_choice question needs at least one correct choice"),
    ("      - text: It is bounded.\n        feedback:", "      - feedback:", 34, RELU, "missing required key 'text'"),
    ("- text: It is bounded.", "- text: It is bounded.\n        feedbak: No.", 35, RELU,
     "unknown key 'feedbak', did you mean 'feedback'?"),
    ("        correct: true\n", "        correct: 'yes'\n", 33, RELU, "correct must be true or false, got 'yes'"),
    (CHOICES, "", 27, RELU, "missing required key 'choices'"),
    # repeated keys, which PyYAML alone would silently drop
    ("    points: 2\n", "    points: 2\n    points: 3\n", 10, GRAD,
     "duplicate key 'points'; it was already given on line 9"),
    ("week: 3\n", "week: 3\nweek: 4\n", 3, None, "duplicate key 'week'; it was already given on line 2"),
    ("round: 1}", "round: 1, round: 2}", 14, GRAD, "duplicate key 'round'"),
]


@pytest.mark.parametrize(("old", "new", "line", "question", "fragment"), ERROR_ROWS)
def test_each_error_is_reported_with_its_line_and_question(
    old: str | tuple[str, ...], new: str | tuple[str, ...], line: int, question: str | None, fragment: str
) -> None:
    bank, problems = load_bank(mutate(old, new), PATH)
    assert bank is None
    assert [(p.line, p.question, p.severity) for p in problems] == [(line, question, "error")], problems
    assert fragment in problems[0].message
    assert problems[0].path == PATH


def test_a_type_mismatched_key_is_reported_once_per_rule() -> None:
    # a matrix question with choices: the choices are refused as a whole, not checked one by one
    text = mutate("    tolerance: {rtol: 0.01, atol: 1.0e-6}\n", "    choices:\n      - text: a\n      - text: b\n")
    bank, problems = load_bank(text, PATH)
    assert bank is None
    assert [(p.line, p.message) for p in problems] == [
        (24, "choices are only for single_choice and multiple_choice questions")
    ]


# (old, new, expected line, question id, message fragment): the bank still loads, with one warning
WARNING_ROWS = [
    ('feedback: "No: it is unbounded above."', "correct: false", 34, RELU,
     "choice 2 has no feedback explaining why it is wrong"),
    ("type: matrix", "type: integer", 24, GRAD,
     "tolerance has no effect on integer questions (integers are compared exactly)"),
    ("    points: 1\n", "    points: 1\n    partial: true\n", 30, RELU,
     "partial has no effect on single_choice questions"),
    ("    points: 1\n", "    points: 1\n    expressions: false\n", 30, RELU,
     "expressions has no effect on single_choice questions"),
    ("opens: 2026-04-24T00:00:00+02:00", "opens: 2026-04-24", 4, None,
     "opens has no time of day; taken as 2026-04-24T00:00:00+00:00"),
]


@pytest.mark.parametrize(("old", "new", "line", "question", "fragment"), WARNING_ROWS)
def test_a_warning_is_reported_but_the_bank_loads(
    old: str, new: str, line: int, question: str | None, fragment: str
) -> None:
    bank, problems = load_bank(mutate(old, new), PATH)
    assert isinstance(bank, Bank)
    assert [(p.line, p.question, p.severity) for p in problems] == [(line, question, "warning")], problems
    assert fragment in problems[0].message


def test_a_valid_bank_becomes_dataclasses() -> None:
    bank, problems = load_bank(VALID, PATH)
    assert problems == []
    assert bank is not None
    assert (bank.week, bank.title, bank.path, bank.format_version) == (3, "Deep neural networks", PATH, 1)
    assert bank.opens == datetime(2026, 4, 24, tzinfo=timezone(timedelta(hours=2)))
    assert bank.closes == datetime(2026, 5, 1, 23, 59, tzinfo=timezone(timedelta(hours=2)))
    assert bank.opens.utcoffset() == timedelta(hours=2)
    assert len(bank.content_hash) == 64
    assert dict(bank.lines)["week"] == 2
    assert bank.total_points == 3

    grad = bank.question(GRAD)
    assert grad is not None
    assert (grad.type, grad.points, grad.line) == ("matrix", 2, 7)
    assert grad.text.startswith("With $x = {{ x }}$")
    assert grad.params == (
        ParamSpec(name="x", kind="normal", args=(0, 1), shape=(3,), round=1, line=14),
        ParamSpec(name="W1", kind="randint", args=(-2, 2), shape=(2, 3), round=None, line=15),
        ParamSpec(name="y", kind="randint", args=(-1, 1), shape=None, round=None, line=16),
    )
    assert grad.require == "np.all(np.abs(W1 @ x) > 0.05)"
    assert grad.solution == "r = W1 @ x - y\nanswer = np.outer(r, x)\n"
    assert grad.check == Check(gradient_of="0.5 * np.sum((W1 @ x - y) ** 2)", wrt="W1", line=21)
    assert grad.tolerance == Tolerance(rtol=0.01, atol=1e-6)
    assert (grad.partial, grad.expressions, grad.max_attempts, grad.penalty) == (False, True, None, 0.0)
    assert grad.line_of("solution") == 18
    assert grad.line_of("explanation") == 25
    assert [key for key, _ in grad.lines] == [
        "id", "type", "points", "text", "params", "require", "solution", "check", "tolerance", "explanation",
    ]

    relu = bank.question(RELU)
    assert relu is not None
    assert relu.is_choice and relu.solution is None and relu.line == 27
    assert [(c.id, c.correct, c.feedback) for c in relu.choices] == [
        ("a", True, ""),
        ("b", False, "No: it is unbounded above."),
    ]
    assert relu.choice_key() == ["a"]
    assert relu.answer_spec().choices[1].feedback == "No: it is unbounded above."


# (old, new, what to read from the loaded bank, expected): accepted spellings and their meaning
ACCEPTED_ROWS = [
    ("tolerance: {rtol: 0.01, atol: 1.0e-6}", "tolerance: {rtol: 0.05, atol: 1e-3}",
     lambda b: b.question(GRAD).tolerance, Tolerance(rtol=0.05, atol=1e-3)),
    ("tolerance: {rtol: 0.01, atol: 1.0e-6}", "tolerance: {atol: 0.5}",
     lambda b: b.question(GRAD).tolerance, Tolerance(atol=0.5)),
    ("shape: [3], ", "shape: 3, ", lambda b: b.question(GRAD).params[0].shape, (3,)),
    ("y: {randint: [-1, 1]}", "y: {choice: [0.5, 1, 2], shape: [2]}",
     lambda b: b.question(GRAD).params[2], ParamSpec("y", "choice", (0.5, 1, 2), (2,), None, 16)),
    ("y: {randint: [-1, 1]}", "y: {uniform: [-1.5, 1.5], round: 0}",
     lambda b: b.question(GRAD).params[2].as_dict(),
     {"name": "y", "kind": "uniform", "args": [-1.5, 1.5], "shape": None, "round": 0}),
    ("opens: 2026-04-24T00:00:00+02:00", "opens: '2026-04-24T08:00:00Z'",
     lambda b: b.opens, datetime(2026, 4, 24, 8, tzinfo=UTC)),
    ("opens: 2026-04-24T00:00:00+02:00", "opens: 2026-04-24 08:00:00",  # no offset: UTC
     lambda b: b.opens, datetime(2026, 4, 24, 8, tzinfo=UTC)),
    ("closes: 2026-05-01T23:59:00+02:00\n", "", lambda b: b.closes, None),
    # `no` and `on` are text (YAML 1.2), not booleans
    ('feedback: "No: it is unbounded above."', "feedback: No", lambda b: b.question(RELU).choices[1].feedback, "No"),
    ("answer = np.outer(r, x)", "answer, _ = np.outer(r, x), None",
     lambda b: b.question(GRAD).solution.splitlines()[1], "answer, _ = np.outer(r, x), None"),
    # a loop target, the answer and a parameter are all names the text may use
    (("answer = np.outer(r, x)", "{{ r }}"),
     ("answer = 0\n      for k in range(2):\n        answer += np.outer(r, x)", "{{ k }}, {{answer}} and {{ y }}"),
     lambda b: b.question(GRAD).explanation, "The residual is {{ k }}, {{answer}} and {{ y }}.\n"),
    ("    tolerance: {rtol: 0.01, atol: 1.0e-6}\n",
     "    partial: true\n    expressions: false\n    max_attempts: 3\n    penalty: 0.25\n    title: Backprop\n",
     lambda b: (lambda q: (q.partial, q.expressions, q.max_attempts, q.penalty, q.title))(b.question(GRAD)),
     (True, False, 3, 0.25, "Backprop")),
    ("      gradient_of: 0.5 * np.sum((W1 @ x - y) ** 2)\n      wrt: W1\n",
     "      equals: np.outer(W1 @ x - y, x)\n      rtol: 1.0e-3\n",
     lambda b: b.question(GRAD).check, Check(equals="np.outer(W1 @ x - y, x)", rtol=1e-3, line=21)),
]


@pytest.mark.parametrize(("old", "new", "read", "expected"), ACCEPTED_ROWS)
def test_accepted_spellings_load_with_their_meaning(
    old: str | tuple[str, ...], new: str | tuple[str, ...], read: Callable[[Bank], Any], expected: Any
) -> None:
    bank, problems = load_bank(mutate(old, new), PATH)
    assert problems == []
    assert bank is not None
    assert read(bank) == expected


def test_every_problem_is_reported_at_once() -> None:
    text = (
        VALID.replace("week: 3", "week: 0")
        .replace("points: 2", "points: many")
        .replace("wrt: W1", "wrt: W9")
        .replace("answer = np.outer(r, x)", "answer = np.outer(r, x")
        .replace("text: Why ReLU?", "txt: Why ReLU?")
        .replace("        correct: true\n", "        correct: 1\n")
    )
    bank, problems = load_bank(text, PATH)
    assert bank is None
    assert [(p.line, p.question) for p in problems] == [
        (2, None),  # week
        (9, GRAD),  # points
        (20, GRAD),  # solution syntax
        (23, GRAD),  # wrt
        (27, RELU),  # missing text
        (30, RELU),  # unknown key txt
        (33, RELU),  # correct: 1
    ]
    assert all(p.severity == "error" for p in problems)


# (whole file, expected line, message fragment): files that are not a bank at all
NOT_A_BANK_ROWS = [
    ("", 1, "the file is empty"),
    ("# only a comment\n", 1, "the file is empty"),
    ("- version: 1\n", 1, "a bank must be a mapping with version, week, title and questions, got [{"),
    ("just text\n", 1, "a bank must be a mapping"),
    ("version: 1\nweek: 3\ntitle: T\nquestions: []\n", 4, "questions must list at least one question"),
    ("version: 1\nweek: 3\ntitle: T\nquestions: many\n", 4, "questions must be a list of questions, got 'many'"),
    ("version: 1\nweek: 3\ntitle: T\nquestions:\n  - just text\n", 5,
     "question 1 must be a mapping with id, type, points and text, got 'just text'"),
]


@pytest.mark.parametrize(("text", "line", "fragment"), NOT_A_BANK_ROWS)
def test_a_file_that_is_not_a_bank_is_one_problem(text: str, line: int, fragment: str) -> None:
    bank, problems = load_bank(text, PATH)
    assert bank is None
    assert [p.line for p in problems] == [line]
    assert fragment in problems[0].message


# (problem, its text): the format editors and the CLI print
PROBLEM_TEXT_ROWS = [
    (Problem(PATH, 9, "points must be a whole number, got 'two'", question=GRAD),
     "questions/week03.yaml:9: mlp-grad: points must be a whole number, got 'two'"),
    (Problem(PATH, 2, "week must be between 1 and 99, got 0"),
     "questions/week03.yaml:2: week must be between 1 and 99, got 0"),
    (Problem(PATH, 34, "choice 2 has no feedback explaining why it is wrong", question=RELU, severity="warning"),
     "questions/week03.yaml:34: why-relu: warning: choice 2 has no feedback explaining why it is wrong"),
    (Problem(PATH, 3, "YAML syntax error: mapping values are not allowed here", column=12),
     "questions/week03.yaml:3:12: YAML syntax error: mapping values are not allowed here"),
]


@pytest.mark.parametrize(("problem", "text"), PROBLEM_TEXT_ROWS)
def test_a_problem_prints_as_path_line_question_message(problem: Problem, text: str) -> None:
    assert str(problem) == text


def test_a_loaded_problem_prints_with_its_question() -> None:
    _, problems = load_bank(mutate("points: 2", "points: two"), PATH)
    assert [str(p) for p in problems] == ["questions/week03.yaml:9: mlp-grad: points must be a whole number, got 'two'"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}|>'\"#&*!% \n\t0129.eE_") + ["\u00e9"]), max_size=80))
def test_arbitrary_text_gives_problems_not_exceptions(text: str) -> None:
    bank, problems = load_bank(text, PATH)
    assert bank is None or not [p for p in problems if p.severity == "error"]
    assert all(p.line >= 1 for p in problems)


@settings(max_examples=200, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=VALID.count("\n") - 1), min_size=1, max_size=4))
def test_dropping_lines_never_half_loads_a_bank(dropped: set[int]) -> None:
    lines = VALID.splitlines(keepends=True)
    text = "".join(line for number, line in enumerate(lines) if number not in dropped)
    bank, problems = load_bank(text, PATH)
    has_errors = any(p.severity == "error" for p in problems)
    assert (bank is None) == has_errors
    assert all(1 <= p.line <= len(lines) for p in problems)


def test_plain_dicts_validate_too_with_problems_on_line_one() -> None:
    data = yaml.safe_load(VALID)
    bank, problems = validate_bank(data, PATH, "0" * 64)
    assert problems == [] and bank is not None and bank.content_hash == "0" * 64
    data["questions"][0]["points"] = "two"
    bank, problems = validate_bank(data, PATH, "0" * 64)
    assert bank is None
    assert [(p.line, p.question, p.message) for p in problems] == [
        (1, GRAD, "points must be a whole number, got 'two'")
    ]
