"""Answer-key verification: each kind of wrong key is caught, at the line that causes it."""
from __future__ import annotations

import textwrap

import pytest

from quizserver.bank import Bank, load_bank
from quizserver.bank.verify import answer_line, code_line, question_seeds, verify_bank

HEADER = "version: 1\nweek: 3\ntitle: Verify\nquestions:\n"


def bank_of(question: str) -> Bank:
    """A one-question bank; the question's YAML starts on line 5."""
    bank, problems = load_bank(HEADER + textwrap.indent(textwrap.dedent(question), "  "), "week03.yaml")
    assert bank is not None, [str(p) for p in problems]
    return bank


def problems_of(question: str, variants: int = 12) -> list[str]:
    return [str(p) for p in verify_bank(bank_of(question), variants=variants)]


GOOD = """\
- id: q
  type: numeric
  points: 1
  text: Compute {{ a }} over 7.
  params:
    a: {randint: [1, 9]}
  solution: |
    answer = a / 7
"""

CASES = [
    pytest.param(GOOD, [], id="good"),
    pytest.param(
        GOOD + "  tolerance: {rtol: 1.0e-9, atol: 0}\n",
        ["week03.yaml:13: q: the key as shown to students ("],
        id="tolerance-tighter-than-shown",
    ),
    pytest.param(
        GOOD + "  tolerance: {rtol: 0.2}\n",
        ["week03.yaml:13: q: the key scaled by 1.1 still grades correct"],
        id="too-loose-for-a-factor",
    ),
    pytest.param(
        GOOD + "  tolerance: {atol: 100}\n",
        [
            "week03.yaml:13: q: the key scaled by 1.1 still grades correct",
            "week03.yaml:13: q: the key with its sign flipped still grades correct",
        ],
        id="too-loose-for-a-sign",
    ),
    pytest.param(
        """\
        - id: q
          type: matrix
          points: 1
          text: Give the matrix for {{ a }}.
          params:
            a: {randint: [3, 9]}
          solution: |
            answer = np.array([[a, 2.0], [2.01, a]])
          tolerance: {rtol: 0.02}
        """,
        ["week03.yaml:13: q: the key transposed still grades correct"],
        id="too-loose-for-a-transpose",
    ),
    pytest.param(
        """\
        - id: q
          type: numeric
          points: 1
          text: Compute {{ c }}.
          params:
            a: {randint: [1, 3]}
          solution: |
            if a > 100:
                c = a
            answer = a
        """,
        ["week03.yaml:8: q: {{ c }} in text does not resolve (seed "],
        id="placeholder-unresolved",
    ),
    pytest.param(
        GOOD.replace("answer = a / 7", "answer = float('inf') * a"),
        ["week03.yaml:11: q: answer is not finite (seed "],
        id="not-finite",
    ),
    pytest.param(
        GOOD.replace("numeric", "matrix").replace("answer = a / 7", "answer = np.ones(a % 3 + 1)"),
        [],  # a shape that depends on the draw is allowed: each variant's hint names its own
        id="shape-varies-allowed",
    ),
    pytest.param(
        GOOD + "  require: a > 10\n",
        ["week03.yaml:13: q: require did not hold in 1000 draws (in 12 of 12 variants; first seed "],
        id="require-never-holds",
    ),
    pytest.param(
        GOOD.replace("answer = a / 7", "x = a\n    answer = [1, 2][a]"),
        ["week03.yaml:13: q: solution raised IndexError: list index out of range (line 2) (in "],
        id="solution-fails-on-its-second-line",
    ),
    pytest.param(
        GOOD + "  check:\n    equals: a / 7 + 0.001\n",
        ["week03.yaml:12: q: equals check failed: answer = "],
        id="equals-disagrees",
    ),
    pytest.param(
        GOOD + "  check:\n    equals: float('inf') * a\n",
        ["week03.yaml:13: q: the equals formula is not finite (seed "],
        id="equals-not-finite",
    ),
    pytest.param(
        GOOD.replace("answer = a / 7", "answer = 3 * a") + "  check:\n    gradient_of: a ** 2\n    wrt: a\n",
        ["week03.yaml:12: q: gradient check failed: answer = "],
        id="gradient-wrong",
    ),
]


@pytest.mark.parametrize(("question", "expected"), CASES)
def test_verify(question: str, expected: list[str]) -> None:
    found = problems_of(textwrap.dedent(question))
    assert len(found) == len(expected), found
    for problem, start in zip(found, expected, strict=True):
        assert problem.startswith(start), found


def test_a_right_gradient_passes() -> None:
    question = GOOD.replace("answer = a / 7", "answer = 2 * a") + "  check:\n    gradient_of: a ** 2\n    wrt: a\n"
    # 30 draws of 9 values: the few distinct answers are only a warning
    assert [p for p in problems_of(question, variants=30) if ": warning: " not in p] == []


def test_the_gradient_message_names_the_worst_entry_and_both_values() -> None:
    question = """\
    - id: g
      type: matrix
      points: 1
      text: Gradient at {{ w }}.
      params:
        w: {randint: [1, 4], shape: [2]}
      solution: |
        answer = w * np.array([2.0, -2.0])
      check:
        gradient_of: np.sum(w ** 2)
        wrt: w
    """
    (problem,) = problems_of(textwrap.dedent(question))
    assert problem.startswith("week03.yaml:12: g: gradient check failed: answer[1] = -")
    assert "but finite differences of gradient_of w.r.t. w gives" in problem
    assert "check tolerance rtol=0.0001, atol=1e-06" in problem


def test_seeds_are_reproducible_and_differ_between_questions() -> None:
    bank = bank_of(GOOD)
    question = bank.questions[0]
    assert question_seeds(4, question, 5) == question_seeds(4, question, 5)
    assert question_seeds(4, question, 5) != question_seeds(5, question, 5)


def test_lines_inside_a_block_and_on_one_line() -> None:
    block = bank_of(GOOD.replace("answer = a / 7", "b = a\n    answer = b / 7")).questions[0]
    assert (block.line_of("solution"), answer_line(block), code_line(block, "solution", 1)) == (11, 13, 12)
    inline = bank_of(GOOD.replace("  solution: |\n    answer = a / 7", "  solution: answer = a / 7")).questions[0]
    assert (inline.line_of("solution"), answer_line(inline)) == (11, 11)
    assert code_line(inline, "solution", None) == 11
